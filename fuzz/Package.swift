// swift-tools-version:6.0
// libFuzzer targets for the image loaders, decompression, the memory-map and crash parsers,
// Xen's memory map and the command line (one binary; KEXEC_FUZZ_TARGET picks the target).
// A separate package so that the main build never links an executable without main();
// libFuzzer provides it.
// fuzz/run.sh passes -sanitize=fuzzer,address to every Swift module so the core is instrumented.
import Foundation
import PackageDescription

// A path dependency's identity is its folder name, which differs between checkouts.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
    name: "swift-kexec-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "KexecFuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "KexecCore", package: root.lastPathComponent),
                .product(name: "KexecSystem", package: root.lastPathComponent),
            ]
        ),
        .target(name: "FuzzDriver"),
    ],
    swiftLanguageModes: [.v6]
)
