import CKexecShim
import Glibc
import KexecCore

/// One option as getopt_long sees it.
public struct OptionSpec: Sendable {
    public var long: [String]
    public var short: Character?
    public var takesValue: Bool
    public var code: Int32

    public init(_ long: [String], short: Character? = nil, value: Bool = false, code: Int32) {
        self.long = long
        self.short = short
        self.takesValue = value
        self.code = code
    }
}

/// What getopt_long found, in order, and the operands after GNU permutation.
public struct ScannedArguments: Sendable {
    public enum Item: Sendable, Equatable {
        case option(code: Int32, value: String?, word: String)
        /// `short`: the unknown letter of a short-option cluster; nil for a long option.
        case unknown(word: String, short: Character?)
        case missingValue(word: String, short: Character?)
    }
    public var items: [Item] = []
    public var operands: [String] = []
}

/// glibc's getopt_long through the C shim: the parser kexec-tools uses, so clustering
/// (`-lx`), `-tTYPE`, long-option prefixes, values beginning with '-' and permutation behave
/// as callers expect. Arguments keep their bytes (RawBytes).
public enum OptionScanner {
    public static func scan(_ arguments: [String], options: [OptionSpec]) -> ScannedArguments {
        // ':' first: a missing value is reported as ':' instead of '?'.
        let shortopts = ":" + options.compactMap { o in o.short.map { String($0) + (o.takesValue ? ":" : "") } }.joined()
        var owned: [UnsafeMutablePointer<CChar>] = []
        defer { owned.forEach { free($0) } }
        func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
            let bytes = RawBytes.bytes(s).map { CChar(bitPattern: $0) } + [0]
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
            p.initialize(from: bytes, count: bytes.count)
            let copy = strdup(p)!
            p.deallocate()
            owned.append(copy)
            return copy
        }
        var longs: [ckexec_long_option] = []
        for o in options {
            for name in o.long { longs.append(ckexec_long_option(name: cString(name), has_arg: o.takesValue ? 1 : 0, code: o.code)) }
        }
        var argv: [UnsafeMutablePointer<CChar>?] = [cString("kexec")] + arguments.map { cString($0) } + [nil]
        let box = Box()
        let first = shortopts.withCString { opts in
            longs.withUnsafeBufferPointer { table in
                argv.withUnsafeMutableBufferPointer { av in
                    ckexec_getopt_long(Int32(arguments.count + 1), av.baseAddress, opts, table.baseAddress, Int32(table.count),
                                       Unmanaged.passUnretained(box).toOpaque()) { context, code, value, optopt, word in
                        let box = Unmanaged<Box>.fromOpaque(context!).takeUnretainedValue()
                        let text = word.map { RawBytes.string(UnsafeRawBufferPointer(start: $0, count: strlen($0))) } ?? ""
                        let short = optopt > 0 && optopt < 0x80 ? Character(Unicode.Scalar(UInt8(optopt))) : nil
                        switch code {
                        case Int32(UInt8(ascii: "?")): box.items.append(.unknown(word: text, short: short))
                        case Int32(UInt8(ascii: ":")): box.items.append(.missingValue(word: text, short: short))
                        default: box.items.append(.option(code: code, value: value.map(Box.string), word: text))
                        }
                    }
                }
            }
        }
        // getopt_long reordered argv's pointers: the operands are the ones from `first` on.
        var result = ScannedArguments(items: box.items)
        for i in Int(first)..<(arguments.count + 1) {
            if let p = argv[i] { result.operands.append(RawBytes.string(UnsafeRawBufferPointer(start: p, count: strlen(p)))) }
        }
        return result
    }

    final class Box {
        var items: [ScannedArguments.Item] = []
        static func string(_ p: UnsafePointer<CChar>) -> String {
            RawBytes.string(UnsafeRawBufferPointer(start: p, count: strlen(p)))
        }
    }
}
