// swift-tools-version:6.0
// VALON: a WireGuard mesh whose peers find each other through DNS.
// See README.md and docs/ARCHITECTURE.md (§2: the targets and what each may import) for the shape of this package.
import PackageDescription

let package = Package(
    name: "valon",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "ValonCore", targets: ["ValonCore"]),
        .library(name: "ValonKit", targets: ["ValonKit"]),
        .library(name: "ValonDiscovery", targets: ["ValonDiscovery"]),
        .executable(name: "valon-bench", targets: ["valon-bench"]),
        .executable(name: "valon-sync", targets: ["valon-sync"]),
        .executable(name: "valon-bootstrap", targets: ["valon-bootstrap"]),
        .executable(name: "valon-discovery", targets: ["valon-discovery"]),
        .executable(name: "valonctl", targets: ["valonctl"]),
    ],
    dependencies: [
        // X25519 keys (WireGuard private/public keys).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // valonctl.yml and the discovery node's YAML config.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // The command-line tools' argument parsing, help and shell completion.
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // valon-discovery only (the server): DNS over SwiftNIO, the DDNS API on Hummingbird,
        // a daemon's life with swift-service-lifecycle. Clients never link these.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // libcurl, found through pkg-config (Debian keeps curl.h in the multiarch include
        // directory), with non-variadic inline shims: curl_easy_setopt is variadic and Swift
        // cannot call it.
        .systemLibrary(
            name: "CCurl",
            path: "Sources/CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // libmnl and the Linux genetlink, rtnetlink and wireguard UAPI headers.
        .systemLibrary(
            name: "CMnl",
            path: "Sources/CMnl",
            pkgConfig: "libmnl",
            providers: [.apt(["libmnl-dev"])]
        ),
        // The pure core (docs/ARCHITECTURE.md §2): codecs, the registry model, the sync planner,
        // config parsing, the WireGuard device model. No C module, no Glibc, no Foundation (only
        // FoundationEssentials, which does not re-export Glibc), so a syscall here does not
        // build. scripts/check-core-purity.sh holds this line.
        .target(
            name: "ValonCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")],
            plugins: ["CorePurityCheck"]
        ),
        // Runs scripts/check-core-purity.sh as part of every ValonCore build.
        .plugin(name: "CorePurityCheck", capability: .buildTool()),
        // The system edge over ValonCore (re-exported): sockets, libcurl, libmnl, processes, files.
        .target(
            name: "ValonKit",
            dependencies: [
                "ValonCore",
                "CCurl",
                "CMnl",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "valon-bench",
            dependencies: ["ValonKit", "ValonDiscovery", "CEpoll"],
            path: "Benchmarks/valon-bench"
        ),
        // epoll(7) for the follower simulator (Glibc's module leaves <sys/epoll.h> out).
        .systemLibrary(name: "CEpoll", path: "Benchmarks/CEpoll"),
        // Example: DNS-SD browse of a VALON zone with pipelined queries.
        .executableTarget(
            name: "dns-browse",
            dependencies: ["ValonKit"],
            path: "Examples/dns-browse"
        ),
        // Example: a peer's best endpoint by alias, from the discovery DNS (EndpointSelection).
        .executableTarget(
            name: "peer-endpoint",
            dependencies: ["ValonKit"],
            path: "Examples/peer-endpoint"
        ),
        // The administrator's tool (docs/ARCHITECTURE.md §1): argument parsing and output over ValonKit.
        .executableTarget(
            name: "valonctl",
            dependencies: [
                "ValonKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The discovery node as a library, so tests can start it in-process.
        .target(
            name: "ValonDiscovery",
            dependencies: [
                "ValonKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "valon-discovery",
            dependencies: [
                "ValonDiscovery",
                "ValonKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The client's tools (docs/ARCHITECTURE.md §1, §5): argument parsing and output over ValonKit/Client.
        .executableTarget(
            name: "valon-sync",
            dependencies: [
                "ValonKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "valon-bootstrap",
            dependencies: [
                "ValonKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Real-process helpers shared by the test targets: etcd members, NSD, dig and friends.
        .target(
            name: "ValonTestSupport",
            dependencies: ["ValonKit"],
            path: "Tests/ValonTestSupport"
        ),
        .testTarget(
            name: "ValonDiscoveryTests",
            dependencies: [
                "ValonDiscovery",
                "ValonKit",
                "ValonTestSupport",
            ]
        ),
        .testTarget(
            name: "ValonKitTests",
            dependencies: ["ValonKit", "ValonTestSupport"]
        ),
    ]
)
