// swift-tools-version:6.0
import PackageDescription

// Only what a file imports is visible: keeps Foundation (and ICU behind it) out of the
// binary unless someone imports it on purpose.
let strict: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]

let package = Package(
    name: "swift-kexec",
    products: [
        .executable(name: "kexec", targets: ["kexec"]),
        // The help text, man page and completions of kexec (scripts/make-docs.sh).
        .executable(name: "kexec-docs", targets: ["KexecDocs"]),
        .library(name: "KexecCore", targets: ["KexecCore"]),
        // For fuzz/: the system-file parsers and the decompressors are fuzzed too.
        .library(name: "KexecSystem", targets: ["KexecSystem"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // Non-variadic wrappers for syscall(2)/reboot(2) and an argv-capturing constructor.
        .target(name: "CKexecShim"),
        // memfd_create(2) and file seals (need _GNU_SOURCE) for kexec_file_load of a
        // decompressed kernel.
        .target(name: "CKexecMemfd"),
        // The system's decompressors for compressed kernels (zlib1g-dev, liblzma-dev,
        // libzstd-dev; their .a files make the static build). Used by KexecSystem only.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CLzma", path: "Sources/CLzma"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        // The system's libcrypto (libssl-dev; libcrypto.a for the static build): its low-level
        // SHA-256 (SHA-NI where present), behind KexecCore's SHA256Digest.
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),
        // The pure core: parse images, plan segments, build boot_params, compute digests.
        .target(
            name: "KexecCore",
            dependencies: ["CCrypto"],
            swiftSettings: strict
        ),
        // Reading the running system and the back ends (Linux syscalls, dry run).
        .target(
            name: "KexecSystem",
            dependencies: [
                "KexecCore", "CKexecShim", "CKexecMemfd", "CZlib", "CLzma", "CZstd",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        // The command line is read by KexecSystem's Invocation (getopt_long); --help prints the
        // generated HelpText.swift.
        .executableTarget(
            name: "kexec",
            dependencies: ["KexecCore", "KexecSystem"],
            swiftSettings: strict
        ),
        // KexecCommand, the options of kexec for swift-argument-parser: the source of the help
        // text, of the man page (its generate-manual plugin) and of the completion scripts.
        // Not part of the kexec binary: ArgumentParser links FoundationEssentials (~5 MB).
        .executableTarget(
            name: "KexecDocs",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KexecCoreTests",
            dependencies: ["KexecCore", "KexecSystem"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
