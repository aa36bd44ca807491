// peer-endpoint: embeds ValonKit to answer "where do I send WireGuard packets for this
// peer?" the way valon-sync does, for one peer named by its alias.
//
//     peer-endpoint SERVER[:PORT] ZONE ALIAS [--nat MY_NAT_IP] [--subnet CIDR]...
//
// It asks the discovery node's DNS for the peer's DNS-SD instance (SRV and TXT of
// ALIAS._wireguard._udp.ZONE, RFC 6763, with the LAN and NAT targets' addresses) through
// ValonKit's stub resolver, reads the records as a RegistryZone, and lets
// EndpointSelection pick between the LAN and NAT endpoint (docs/ARCHITECTURE.md §4) given this host's
// NAT address (--nat) and directly connected subnets (--subnet; by default the subnets
// of this host's interfaces, read over rtnetlink). It prints one line:
//
//     <alias> <endpoint> <lan|nat|none> <reason>      e.g.  c2 192.168.1.12:51820 lan lan-same-nat
//
// Exit status: 0 printed, 1 DNS or netlink failure, 2 usage, 3 no such peer.
import Foundation
import ValonKit

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("peer-endpoint: \(message)\n".utf8))
    exit(status)
}

let usage = "usage: peer-endpoint SERVER[:PORT] ZONE ALIAS [--nat MY_NAT_IP] [--subnet CIDR]..."
var positional = [String]()
var natAddress: IPAddress?
var subnets = [IPNetwork]()
var iterator = CommandLine.arguments.dropFirst().makeIterator()
while let argument = iterator.next() {
    switch argument {
    case "--nat":
        guard let text = iterator.next(), let address = IPAddress(text) else { fail("--nat needs an IP address\n\(usage)", status: 2) }
        natAddress = address
    case "--subnet":
        guard let text = iterator.next(), let network = IPNetwork(text) else { fail("--subnet needs a network like 192.168.1.0/24\n\(usage)", status: 2) }
        subnets.append(network)
    default:
        positional.append(argument)
    }
}
guard positional.count == 3, let server = Endpoint(dnsServer: positional[0]),
      let zone = try? DNSName(positional[1]) else {
    fail(usage, status: 2)
}
let alias = positional[2].lowercased()

do {
    if subnets.isEmpty {
        subnets = try LocalNetwork().connectedSubnets(excluding: "")
    }
    let resolver = DNSResolver(server: server)
    let instance = try RegistryZone.serviceType(in: zone).prepending(alias)
    // SRV and TXT in one pipelined batch; the SRV targets' addresses come in the additional section.
    let replies = try await resolver.resolve([DNSQuestion(name: instance, type: .srv), DNSQuestion(name: instance, type: .txt)])
    var records = replies.flatMap { $0.answers + $0.additionals }
    var registry = RegistryZone(records: records, zone: zone)
    if !registry.unresolvedTargets.isEmpty {
        let lookups = registry.unresolvedTargets.flatMap { [DNSQuestion(name: $0, type: .a), DNSQuestion(name: $0, type: .aaaa)] }
        records += try await resolver.resolve(lookups).flatMap(\.answers)
        registry = RegistryZone(records: records, zone: zone)
    }
    guard let peer = registry.peers.first(where: { $0.alias == alias }) else {
        fail("no peer \(alias) in \(zone) at \(server)", status: 3)
    }
    let choice = EndpointSelection.choose(
        local: EndpointSelection.Local(natAddress: natAddress, connectedSubnets: subnets),
        peer: EndpointSelection.Candidates(lan: peer.lanEndpoint, nat: peer.natEndpoint))
    let kind = choice.endpoint == nil ? "none" : (choice.isLAN ? "lan" : "nat")
    print("\(peer.alias) \(choice.endpoint.map(\.description) ?? "-") \(kind) \(choice.reason.rawValue)")
} catch {
    fail("\(error)", status: 1)
}
