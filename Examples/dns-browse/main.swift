// dns-browse: lists the WireGuard peers a VALON discovery node publishes with DNS-SD
// (RFC 6763): the PTR records of _wireguard._udp.ZONE name the instances, and each
// instance's SRV and TXT records are fetched with pipelined queries.
//
//     dns-browse SERVER[:PORT] ZONE
//
// prints one line per peer:
//     <instance> TAB srv <priority> <target>:<port>, ... TAB txt "key=value" ...
import Foundation
import ValonKit

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("dns-browse: \(message)\n".utf8))
    exit(status)
}

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 2, let server = Endpoint(dnsServer: arguments.first!),
      let zone = try? DNSName(arguments.last!) else {
    fail("usage: dns-browse SERVER[:PORT] ZONE", status: 2)
}

do {
    let resolver = DNSResolver(server: server)
    let serviceType = try zone.prepending("_udp").prepending("_wireguard")
    for peer in try await DNSServiceBrowser(resolver: resolver).browse(serviceType) {
        let targets = peer.services.map { "\($0.priority) \($0.target):\($0.port)" }.joined(separator: ", ")
        let text = peer.text.map { "\"\(String(decoding: $0, as: UTF8.self))\"" }.joined(separator: " ")
        print("\(peer.name)\tsrv \(targets)\ttxt \(text)")
    }
} catch {
    fail("\(error)", status: 1)
}
