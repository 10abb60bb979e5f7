/// Renders a plan for `--dry-run` and `-d`: segments with physical ranges, sizes, digests,
/// the entry and the command line.
public enum PlanPrinter {
    public static func text(_ plan: LoadPlan) -> String {
        var out = ["image type: \(plan.imageType)\(plan.crash ? " (crash)" : "")",
                   "kernel: \(plan.kernelPath)",
                   "command line: \"\(printable(plan.commandLine))\"",   // may come from a UKI's .cmdline
                   "entry: \(hex(plan.entry)) (purgatory) -> \(hex(plan.kernelEntry)) \(handOverText(plan))",
                   "purgatory checks: \(plan.skipChecks ? "skipped (-i)" : "sha256 of every data segment")",
                   "purgatory console: \(plan.purgatoryConsole.map { "serial port \(hex(UInt64($0)))" } ?? "off")",
                   "segments: \(plan.segments.count)"]
        for (i, s) in plan.sortedSegments.enumerated() {
            let digest = s.digest.map(Digest.hexString) ?? "-"
            out.append("  \(i) \(s.role.rawValue.padding(10)) \(hex(s.memory.start))-\(hex(s.memory.end)) memsz \(hex(s.memory.size)) bufsz \(s.dataSize) sha256 \(digest)")
        }
        return out.joined(separator: "\n")
    }

    static func handOverText(_ plan: LoadPlan) -> String {
        guard let h = plan.handOver else { return "" }
        if h.protectedMode32 {
            return "in 32-bit protected mode with eax=\(hex(h.rax)) ebx=\(hex(h.rbx)) (multiboot information)"
        }
        return h.rsi == 0 ? "with no arguments" : "with rsi=\(hex(h.rsi)) (boot_params)"
    }
}

extension PlanPrinter {
    /// The same plan as one JSON object; `syscall` says which load path would be used and why.
    public static func json(_ plan: LoadPlan, syscall: String) -> JSON {
        .object([
            ("image_type", .string(plan.imageType)),
            ("kernel", .string(plan.kernelPath)),
            ("crash", .bool(plan.crash)),
            ("syscall", .string(syscall)),
            ("command_line", .string(plan.commandLine)),
            ("entry", .uint(plan.entry)),
            ("kernel_entry", .uint(plan.kernelEntry)),
            ("boot_params", .uint(plan.bootParamsAddress)),
            ("purgatory_checks", .bool(!plan.skipChecks)),
            ("purgatory_console", plan.purgatoryConsole.map { .uint(UInt64($0)) } ?? .null),
            ("segments", .array(plan.sortedSegments.map { s in
                .object([
                    ("role", .string(s.role.rawValue)),
                    ("start", .uint(s.memory.start)),
                    ("end", .uint(s.memory.end)),
                    ("memsz", .uint(s.memory.size)),
                    ("bufsz", .uint(UInt64(s.dataSize))),
                    ("sha256", s.digest.map { .string(Digest.hexString($0)) } ?? .null),
                ])
            })),
        ])
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
