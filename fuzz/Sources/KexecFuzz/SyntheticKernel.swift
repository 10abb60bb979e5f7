import KexecCore

/// A small valid bzImage (boot protocol 2.15, 64-bit, relocatable, loadable above 4 GiB) for
/// the targets whose input is not the kernel: they plan a real load around what they fuzz.
enum SyntheticKernel {
    static let bzImage: ByteStorage = {
        var b = [UInt8](repeating: 0x90, count: 1024 + 16384)
        b[0x1f1] = 1                              // setup_sects: one sector after the boot sector
        b.store(UInt16(0xaa55), at: 0x1fe)
        b.store(UInt32(0x5372_6448), at: 0x202)   // "HdrS"
        b.store(UInt16(0x020f), at: 0x206)        // protocol 2.15
        b[0x211] = 1                              // loadflags: LOADED_HIGH
        b.store(UInt32(0x7fff_ffff), at: 0x22c)   // initrd_addr_max
        b.store(UInt32(0x20_0000), at: 0x230)     // kernel_alignment
        b[0x234] = 1                              // relocatable_kernel
        b.store(UInt16(3), at: 0x236)             // xloadflags: KERNEL_64, CAN_BE_LOADED_ABOVE_4G
        b.store(UInt32(4095), at: 0x238)          // cmdline_size
        b.store(UInt64(0x100_0000), at: 0x258)    // pref_address
        b.store(UInt32(0x80_0000), at: 0x260)     // init_size
        return ByteStorage(b)
    }()

    /// Plans a bzImage load of the synthetic kernel; the plan, or nil after a KexecError.
    static func plan(commandLine: String, host: HostInfo, crash: CrashInputs? = nil) -> LoadPlan? {
        var request = LoadRequest(kernelPath: "fuzz-bzImage", kernel: bzImage.all, commandLine: commandLine)
        request.crash = crash
        do {
            let plan = try BzImage64Loader().plan(request, host: host)
            _ = PlanPrinter.text(plan)
            return plan
        } catch {
            report(error)
            return nil
        }
    }
}
