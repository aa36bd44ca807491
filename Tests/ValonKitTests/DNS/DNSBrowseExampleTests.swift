import Foundation
import Testing
@testable import ValonKit

/// `Examples/dns-browse` and ``DNSServiceBrowser`` against a real NSD serving a zone laid
/// out as VALON publishes peers (docs/ARCHITECTURE.md §3: PTR, SRV and TXT under `_wireguard._udp`).
@Suite(.tags(.process), .timeLimit(.minutes(10))) struct DNSBrowseExampleProcessTests {
    let nsd: NSDServer

    init() throws {
        nsd = try NSDServer(zones: [.init(name: DNSTestZones.valonZone, text: DNSTestZones.valon)])
    }

    var expectedLines: [String] {
        DNSTestZones.valonPeers.map { peer in
            "\(peer.alias)._wireguard._udp.valon.internal.\t"
                + "srv 0 lan.\(peer.alias).valon.internal.:\(peer.lanPort), 10 nated.\(peer.alias).valon.internal.:\(peer.natPort)\t"
                + "txt \"txtvers=1\" \"pub=\(peer.key)\" \"wg_ip=\(peer.wgIP)\" \"alias=\(peer.alias)\""
        }.sorted()
    }

    /// The built example, next to the test bundle in the build directory.
    static var executable: String {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let sibling = URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("dns-browse").path
        return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : ".build/debug/dns-browse"
    }

    @Test func theExamplePrintsOneLinePerPeer() throws {
        let output = try Command.check([Self.executable, nsd.endpointText, "valon.internal"])
        #expect(output.split(separator: "\n").map(String.init) == expectedLines)
    }

    @Test func theExampleFailsClearly() throws {
        let usage = try Command.run([Self.executable, "not-an-address", "valon.internal"])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("usage: dns-browse SERVER[:PORT] ZONE"))
        let refused = try Command.run([Self.executable, nsd.endpointText, "example.com"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("refused") || refused.stderr.contains("REFUSED"))
    }

    @Test func theBrowserListsInstancesWithServicesAndText() async throws {
        let resolver = DNSResolver(server: Endpoint(nsd.endpointText)!)
        let instances = try await DNSServiceBrowser(resolver: resolver).browse(try DNSName("_wireguard._udp.VALON.internal."))
        // Names compare case-insensitively: NSD compresses the targets against the question as asked.
        let expected = try DNSTestZones.valonPeers.map { try DNSName("\($0.alias)._wireguard._udp.valon.internal.") }
        #expect(instances.map(\.name) == expected.sorted { $0.description < $1.description })
        for (instance, peer) in zip(instances, DNSTestZones.valonPeers.sorted { $0.alias < $1.alias }) {
            #expect(instance.services.map(\.port) == [UInt16(peer.lanPort), UInt16(peer.natPort)])
            #expect(instance.text.map { String(decoding: $0, as: UTF8.self) }
                == ["txtvers=1", "pub=\(peer.key)", "wg_ip=\(peer.wgIP)", "alias=\(peer.alias)"])
        }
    }
}
