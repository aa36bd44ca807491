import Foundation
import Testing
@testable import ValonKit

/// The example files in deployments/ read with the parsers the tools use, so an example
/// that drifts from what the tools accept fails here.
@Suite("deployments/ examples")
struct DeploymentExamplesTests {
    /// The repository's deployments/ directory, found from this file's path.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deployments")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    @Test("valonctl.yml reads as valonctl reads it")
    func valonctl() throws {
        let config = try ValonctlConfig(parsing: Self.text("valonctl.yml"), file: "valonctl.yml")
        #expect(config.interface == "wg0")
        #expect(config.discoveryIP == IPAddress("100.100.0.1"))
        #expect(config.network == IPNetwork("100.100.0.0/24"))
        #expect(config.apiURL == "http://100.100.0.1:8053")
    }

    @Test("discovery.yml reads as valon-discovery reads it")
    func discovery() throws {
        let config = try DiscoveryConfig(parsing: Self.text("discovery.yml"), file: "discovery.yml")
        #expect(config.zone == "valon.internal")
        #expect(config.interface == "wg0")
        #expect(config.apiListen == HostPort(host: "100.100.0.1", port: 8053))
    }

    @Test("client.conf reads as valon-sync reads it and agrees with valonctl.yml")
    func client() throws {
        let client = try ClientConfig(parsing: Self.text("client.conf"), file: "client.conf")
        let admin = try ValonctlConfig(parsing: Self.text("valonctl.yml"), file: "valonctl.yml")
        #expect(client.discoveryEndpoint == admin.discoveryEndpoint)
        #expect(client.discoveryAllowedIPs == [IPNetwork(address: admin.discoveryIP, prefixLength: 32)!])
        #expect(client.discoveryAPI == admin.apiURL)
        #expect(client.dnsZone == admin.dnsZone)
        #expect(admin.network.contains(client.ownWireGuardIP))
    }

    @Test("compose.yaml runs etcd and valon-discovery on the host network, built from the Containerfile")
    func compose() throws {
        let document = try YAMLDocument(text: Self.text("compose.yaml"), file: "compose.yaml")
        let services = try document.top.mapping("services")
        for name in ["etcd", "valon-discovery"] {
            #expect(try services.mapping(name).string("network_mode") == "host")
        }
        let build = try services.mapping("valon-discovery").mapping("build")
        let containerfile = try #require(try build.string("dockerfile"))
        let context = try #require(try build.string("context"))
        let path = Self.directory.appendingPathComponent(context).appendingPathComponent(containerfile).standardized.path
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("the Containerfile builds a product the package has and copies files that exist")
    func containerfile() throws {
        let text = try Self.text("Containerfile")
        let root = Self.directory.deletingLastPathComponent()
        let package = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(text.contains("--product valon-discovery"))
        #expect(package.contains(#".executable(name: "valon-discovery""#))
        let copies = text.split(separator: "\n").filter { $0.hasPrefix("COPY deployments/") }
        #expect(!copies.isEmpty)
        for line in copies {
            let source = String(line.split(separator: " ")[1])
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(source).path), "\(source)")
        }
        // Debian 12 by default; BASE_IMAGE and BINARY=prebuilt let scripts/install-test.sh
        // build it without a registry, from a binary built outside the container.
        #expect(text.contains("ARG BASE_IMAGE=docker.io/library/debian:12-slim"))
        #expect(text.contains("FROM ${BASE_IMAGE}\n"))
        #expect(text.contains("ARG BINARY=swift"))
        #expect(text.contains("FROM binary-${BINARY} AS binary"))
        #expect(text.contains("FROM ${SWIFT_IMAGE} AS binary-swift"))
        #expect(text.contains("COPY ${PREBUILT} /out/valon-discovery"))
    }
}
