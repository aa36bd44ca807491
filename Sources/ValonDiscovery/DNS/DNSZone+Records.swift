import ValonKit

extension DNSZone {
    /// Every record at `node`, owned by `owner` (the name as asked, so the answer echoes
    /// the question's case), and the records for the additional section (SRV targets'
    /// addresses, RFC 2782).
    func records(at node: DNSZoneNode, owner: DNSName, snapshot: RegistrySnapshot)
        -> (answers: [DNSResourceRecord], additional: [DNSResourceRecord])
    {
        switch node {
        case .apex:
            return ([soa(serial: snapshot.serial, owner: owner),
                     DNSResourceRecord(name: owner, ttl: ttl, data: .ns(serverName))],
                    addressRecords(discoveryAddresses(snapshot), owner: serverName))
        case .discovery:
            return (addressRecords(discoveryAddresses(snapshot), owner: owner), [])
        case .discoveryNodes:
            var answers = [DNSResourceRecord](), additional = [DNSResourceRecord]()
            for node in snapshot.discoveryNodes {
                let (srv, targetAddress) = discoveryService(node, owner: owner)
                answers += srv
                answers.append(DNSResourceRecord(name: owner, ttl: ttl, data: .txt(txt(node))))
                additional += targetAddress
            }
            return (answers, additional)
        case .discoveryHost(let node):
            let address = node.endpoint.flatMap { HostPort($0)?.address }
            return (addressRecords(address.map { [$0] } ?? [], owner: owner), [])
        case .peer(let peer, _):
            return (addressRecords([peer.wgIP], owner: owner), [])
        case .endpoint(let peer, _, let kind):
            let endpoint = kind == .lan ? peer.lanEndpoint : peer.natEndpoint
            return (addressRecords(endpoint.map { [$0.address] } ?? [], owner: owner), [])
        case .service(let peer, let label):
            return serviceRecords(peer, label: label, owner: owner)
        case .relay(let peer, _):
            var answers = [DNSResourceRecord](), additional = [DNSResourceRecord]()
            for (other, port) in snapshot.relays(of: peer.publicKey) {
                let target = hostName(Array(other.publicKey.dnsLabel.utf8))
                answers.append(DNSResourceRecord(name: owner, ttl: ttl, data: .srv(DNSSRV(priority: 0, weight: 0, port: port, target: target))))
                additional += addressRecords([other.wgIP], owner: target)
            }
            return (answers, additional)
        case .instance(let peer, let label):
            var (answers, additional) = serviceRecords(peer, label: label, owner: owner)
            answers.append(DNSResourceRecord(name: owner, ttl: ttl, data: .txt(txt(peer))))
            return (answers, additional)
        case .browse:
            return (snapshot.peers.map { peer in
                DNSResourceRecord(name: owner, ttl: ttl, data: .ptr(instanceName(Array(peer.publicKey.dnsLabel.utf8))))
            }, [])
        case .listing:
            var answers = [DNSResourceRecord](), additional = [DNSResourceRecord]()
            for peer in snapshot.peers {
                let target = hostName(Array(peer.publicKey.dnsLabel.utf8))
                answers.append(DNSResourceRecord(name: owner, ttl: ttl, data: .srv(DNSSRV(priority: 0, weight: 0, port: 0, target: target))))
                additional += addressRecords([peer.wgIP], owner: target)
            }
            return (answers, additional)
        case .emptyNonTerminal:
            return ([], [])
        }
    }

    /// `discovery.<zone>`'s addresses: this node's own, and every registered node's
    /// WireGuard address (docs/ARCHITECTURE.md §11), in address order without repeats.
    func discoveryAddresses(_ snapshot: RegistrySnapshot) -> [IPAddress] {
        guard !snapshot.discoveryNodes.isEmpty else { return discoveryAddresses }
        var seen = Set<IPAddress>(), addresses = [IPAddress]()
        for address in discoveryAddresses + snapshot.discoveryNodes.map(\.wgIP) where seen.insert(address).inserted {
            addresses.append(address)
        }
        return addresses.sorted { $0.description < $1.description }
    }

    /// A node's `_discovery._udp` SRV, `0 0 <port> <target>`, and the target's address: the
    /// target is `<key label>.discovery.<zone>.` (A/AAAA of the endpoint's address) or the
    /// endpoint's host name. None for a node without an endpoint.
    func discoveryService(_ node: DiscoveryNode, owner: DNSName) -> (srv: [DNSResourceRecord], additional: [DNSResourceRecord]) {
        guard let endpoint = node.endpoint.flatMap({ HostPort($0) }) else { return ([], []) }
        let target: DNSName, additional: [DNSResourceRecord]
        if let address = endpoint.address {
            guard let host = try? DNSName(labels: [Array(node.publicKey.dnsLabel.utf8), DNSZoneNode.discoveryLabel] + name.labels)
            else { return ([], []) }
            (target, additional) = (host, addressRecords([address], owner: host))
        } else {
            guard let host = try? DNSName(endpoint.host) else { return ([], []) }
            (target, additional) = (host, [])
        }
        return ([DNSResourceRecord(name: owner, ttl: ttl, data: .srv(DNSSRV(priority: 0, weight: 0, port: endpoint.port, target: target)))],
                additional)
    }

    /// `_discovery._udp.<zone>`.
    var discoveryServiceName: DNSName {
        (try? DNSName(labels: [DNSZoneNode.discoveryService, DNSZoneNode.udp] + name.labels)) ?? name
    }

    /// A node's TXT strings: `txtvers=1 pub=<base64> wg_ip=<ip>`, then `endpoint=` and
    /// `relay=` when it has them.
    func txt(_ node: DiscoveryNode) -> [[UInt8]] {
        (["txtvers=1", "pub=\(node.publicKey.base64)", "wg_ip=\(node.wgIP)"]
            + (node.endpoint.map { ["endpoint=\($0)"] } ?? []) + (node.relay.map { ["relay=\($0)"] } ?? [])).map { Array($0.utf8) }
    }

    /// `<label>.<zone>`, a peer's own name (its A/AAAA is the WireGuard address).
    func hostName(_ label: [UInt8]) -> DNSName {
        (try? DNSName(labels: [label] + name.labels)) ?? name
    }

    /// `_valon._tcp.<zone>`, the original plugin's listing of every peer.
    var listingName: DNSName {
        (try? DNSName(labels: [DNSZoneNode.valon, DNSZoneNode.tcp] + name.labels)) ?? name
    }

    /// SRV `0 0 <lan port> lan.<name>.<zone>.` and `10 0 <nat port> nated.<name>.<zone>.`
    /// for the endpoints the peer has, with the targets' addresses.
    func serviceRecords(_ peer: Peer, label: [UInt8], owner: DNSName)
        -> (answers: [DNSResourceRecord], additional: [DNSResourceRecord])
    {
        var answers = [DNSResourceRecord](), additional = [DNSResourceRecord]()
        for (kind, priority) in [(PeerEndpointKind.lan, UInt16(0)), (.nat, 10)] {
            guard let endpoint = kind == .lan ? peer.lanEndpoint : peer.natEndpoint,
                  let target = try? DNSName(labels: [kind == .lan ? DNSZoneNode.lan : DNSZoneNode.nated, label] + name.labels)
            else { continue }
            answers.append(DNSResourceRecord(name: owner, ttl: ttl, data: .srv(DNSSRV(
                priority: priority, weight: 0, port: endpoint.port, target: target))))
            additional += addressRecords([endpoint.address], owner: target)
        }
        return (answers, additional)
    }

    /// `<key label>._wireguard._udp.<zone>`, the DNS-SD instance a browse PTR points to.
    func instanceName(_ label: [UInt8]) -> DNSName {
        (try? DNSName(labels: [label, DNSZoneNode.wireguard, DNSZoneNode.udp] + name.labels)) ?? name
    }

    /// The DNS-SD TXT strings (RFC 6763 §6.4): `txtvers=1 pub=<base64> wg_ip=<ip> alias=<alias>`,
    /// and `nat=symmetric` for a peer two discovery nodes saw behind a symmetric NAT (§11).
    func txt(_ peer: Peer) -> [[UInt8]] {
        (["txtvers=1", "pub=\(peer.publicKey.base64)", "wg_ip=\(peer.wgIP)", "alias=\(peer.alias)"]
            + (peer.natKind.map { ["nat=\($0.rawValue)"] } ?? [])).map { Array($0.utf8) }
    }
}
