/// Builds the boot_params segment: zero page, then the command line, then setup_data nodes,
/// then the EFI runtime memory map (when EFI is handed over).
/// Its layout is fixed before placement (sizes) and filled after (addresses).
public struct BootParamsBuilder: Sendable {
    public var header: SetupHeader
    public var commandLine: String
    public var e820: [E820Entry]
    public var host: HostInfo

    static let commandLineOffset = BootParamsOffset.size

    /// e820 entries beyond 128 travel in a SETUP_E820_EXT node.
    var setupDataNodes: [SetupDataNode] {
        var nodes: [SetupDataNode] = []
        let overflow = e820.dropFirst(BootParamsOffset.e820Max)
        if !overflow.isEmpty {
            var payload = [UInt8](repeating: 0, count: overflow.count * E820Entry.size)
            for (i, e) in overflow.enumerated() { e.encode(into: &payload, at: i * E820Entry.size) }
            nodes.append(SetupDataNode(type: SetupDataNode.typeE820Ext, payload: payload))
        }
        if let seed = host.rngSeed, !seed.isEmpty {
            nodes.append(SetupDataNode(type: SetupDataNode.typeRNGSeed, payload: seed))
        }
        if let efi = host.efi {
            nodes.append(SetupDataNode(type: EFISetupData.setupDataType, payload: efi.setupData.encoded))
        }
        return nodes
    }

    var setupDataOffset: Int { (Self.commandLineOffset + commandLine.kernelBytes.count + 1 + 15) & ~15 }

    var efiMemoryMapOffset: Int { setupDataOffset + setupDataNodes.reduce(0) { $0 + $1.encodedSize } }

    public var size: Int { efiMemoryMapOffset + (host.efi?.runtimeMap.count ?? 0) * EFIMemoryDescriptor.size }

    /// The bytes of the segment once it sits at `address`, with the initrd at `initrd`.
    public func build(at address: UInt64, initrd: PhysicalRange?) -> [UInt8] {
        typealias B = BootParamsOffset
        typealias O = SetupHeaderOffset
        var bp = [UInt8](repeating: 0, count: size)
        let running = host.runningBootParams.flatMap { $0.count >= B.size ? $0 : nil }
        if let running {
            // The new kernel keeps the console the firmware set up and finds ACPI the same way.
            bp.store(bytes: running[B.screenInfo..<(B.screenInfo + B.screenInfoSize)], at: B.screenInfo)
            bp.store(bytes: running[B.acpiRsdpAddr..<(B.acpiRsdpAddr + 8)], at: B.acpiRsdpAddr)
        }
        if let rsdp = host.acpiRSDP, rsdp != 0 { bp.store(rsdp, at: B.acpiRsdpAddr) }
        bp.store(bytes: header.rawBytes, at: B.setupHeader)
        if let running {
            bp.store(bytes: running[O.hardwareSubarch..<(O.hardwareSubarch + 12)], at: O.hardwareSubarch)
        }
        bp[O.typeOfLoader] = SetupHeaderConstant.loaderTypeKexec

        let cmdline = address + UInt64(Self.commandLineOffset)
        bp.store(bytes: commandLine.kernelBytes + [0], at: Self.commandLineOffset)
        bp.store(UInt32(truncatingIfNeeded: cmdline), at: O.cmdLinePtr)
        bp.store(UInt32(truncatingIfNeeded: cmdline >> 32), at: B.extCmdLinePtr)

        let rd = initrd ?? PhysicalRange(start: 0, size: 0)!
        bp.store(UInt32(truncatingIfNeeded: rd.start), at: O.ramdiskImage)
        bp.store(UInt32(truncatingIfNeeded: rd.size), at: O.ramdiskSize)
        bp.store(UInt32(truncatingIfNeeded: rd.start >> 32), at: B.extRamdiskImage)
        bp.store(UInt32(truncatingIfNeeded: rd.size >> 32), at: B.extRamdiskSize)

        let table = e820.prefix(B.e820Max)
        bp[B.e820Entries] = UInt8(table.count)
        for (i, e) in table.enumerated() { e.encode(into: &bp, at: B.e820Table + i * E820Entry.size) }
        let (extMemK, altMemK) = Self.legacyMemorySizes(e820)
        bp.store(extMemK, at: B.extMemK)
        bp.store(altMemK, at: B.altMemK)

        if let running { bp[B.secureBoot] = running[B.secureBoot] }
        if let efi = host.efi { Self.storeEFIInfo(efi, into: &bp, segmentAt: address, mapOffset: efiMemoryMapOffset) }

        var offset = setupDataOffset
        let nodes = setupDataNodes
        bp.store(UInt64(nodes.isEmpty ? 0 : address + UInt64(offset)), at: O.setupData)
        for (i, node) in nodes.enumerated() {
            let next = i + 1 < nodes.count ? address + UInt64(offset + node.encodedSize) : 0
            node.encode(next: next, into: &bp, at: offset)
            offset += node.encodedSize
        }
        return bp
    }

    /// boot_params.efi_info: the signature, the system table and the runtime map, which the
    /// new kernel maps at the virtual addresses the running kernel chose (it cannot call
    /// SetVirtualAddressMap again).
    static func storeEFIInfo(_ efi: EFIHandOver, into bp: inout [UInt8], segmentAt segment: UInt64, mapOffset: Int) {
        typealias B = BootParamsOffset
        let map = efi.memoryMapBytes
        let address = segment + UInt64(mapOffset)
        bp.store(bytes: EFIHandOver.loaderSignature, at: B.efiLoaderSignature)
        bp.store(UInt32(truncatingIfNeeded: efi.systemTable), at: B.efiSystab)
        bp.store(UInt32(truncatingIfNeeded: efi.systemTable >> 32), at: B.efiSystabHi)
        bp.store(UInt32(EFIMemoryDescriptor.size), at: B.efiMemdescSize)
        bp.store(efi.memoryDescriptorVersion, at: B.efiMemdescVersion)
        bp.store(UInt32(truncatingIfNeeded: address), at: B.efiMemmap)
        bp.store(UInt32(truncatingIfNeeded: address >> 32), at: B.efiMemmapHi)
        bp.store(UInt32(map.count), at: B.efiMemmapSize)
        bp.store(bytes: map, at: mapOffset)
    }

    /// KiB of RAM above 1 MiB in the range that crosses 1 MiB (ext_mem_k is capped at 0xfc00).
    static func legacyMemorySizes(_ e820: [E820Entry]) -> (UInt16, UInt32) {
        let oneMiB: UInt64 = 0x10_0000
        guard let r = e820.first(where: { $0.type == .ram && $0.address <= oneMiB && $0.address &+ $0.size > oneMiB }) else {
            return (0, 0)
        }
        let kib = (r.address + r.size - oneMiB) >> 10
        return (UInt16(min(kib, 0xfc00)), UInt32(min(kib, UInt64(UInt32.max))))
    }
}
