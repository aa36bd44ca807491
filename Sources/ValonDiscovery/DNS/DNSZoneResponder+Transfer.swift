import ValonKit

extension DNSZoneResponder {
    /// AXFR (RFC 5936): over TCP, to allowed clients, for the apex only. The zone's records
    /// between two copies of the SOA, split across messages of at most
    /// ``DNSZone/transferRecordsPerMessage`` records; the question only in the first. The
    /// messages are made one at a time as the server sends them (``DNSZoneTransferStream``).
    /// IXFR (RFC 1995 §4) is answered the same way: a full transfer is a valid reply.
    /// Without a registry read (`snapshot` `nil`) an allowed client gets SERVFAIL.
    func transfer(query: DNSMessage, response: DNSMessage, client: IPAddress?, transport: DNSTransport,
                  snapshot: RegistrySnapshot?) -> (outcome: DNSResponderOutcome, summary: Summary?) {
        let question = query.questions[0]
        var response = response
        let summary = { (rcode: DNSResponseCode) in Summary(type: question.type, rcode: rcode) }
        guard transport == .tcp, question.name == zone.name, zone.allowsTransfer(to: client) else {
            response.responseCode = .refused
            return (.reply([encode(response)]), summary(.refused))
        }
        guard let snapshot else {
            // No registry read yet: a transfer now would hand the secondary an empty zone.
            response.responseCode = .servFail
            return (.reply([encode(response)]), summary(.servFail))
        }
        response.header.isAuthoritative = true
        return (.transfer(DNSZoneTransferStream(responder: self, response: response, snapshot: snapshot)), summary(.noError))
    }

    /// The records before the peers': SOA, NS, the server's addresses (then come the
    /// browse PTRs and the `_valon._tcp` SRVs, one per peer each, see ``DNSZoneTransferStream``).
    func apexRecords(snapshot: RegistrySnapshot) -> [DNSResourceRecord] {
        var records = [zone.soa(serial: snapshot.serial)]
        records += zone.records(at: .apex, owner: zone.name, snapshot: snapshot).answers.filter { $0.type != .soa }
        records += zone.addressRecords(zone.discoveryAddresses(snapshot), owner: zone.serverName)
        // The discovery nodes (§11): their SRV and TXT, and the SRV targets' addresses.
        let service = zone.discoveryServiceName
        for node in snapshot.discoveryNodes {
            let (srv, additional) = zone.discoveryService(node, owner: service)
            records += srv
            records.append(DNSResourceRecord(name: service, ttl: zone.ttl, data: .txt(zone.txt(node))))
            records += additional
        }
        return records
    }

    /// The browse PTR of one peer.
    func browseRecord(_ peer: Peer) -> DNSResourceRecord? {
        guard let browse = try? zone.name.prepending("_udp").prepending("_wireguard") else { return nil }
        return DNSResourceRecord(name: browse, ttl: zone.ttl, data: .ptr(zone.instanceName(Array(peer.publicKey.dnsLabel.utf8))))
    }

    /// The `_valon._tcp` listing SRV of one peer (its target's address is among the peer's
    /// own records).
    func listingRecord(_ peer: Peer) -> DNSResourceRecord {
        DNSResourceRecord(name: zone.listingName, ttl: zone.ttl, data: .srv(DNSSRV(
            priority: 0, weight: 0, port: 0, target: zone.hostName(Array(peer.publicKey.dnsLabel.utf8)))))
    }

    /// A peer's records under its key label and, where it names this peer, its alias.
    func peerRecords(_ peer: Peer, snapshot: RegistrySnapshot) -> [DNSResourceRecord] {
        var labels = [Array(peer.publicKey.dnsLabel.utf8)]
        if snapshot.peer(named: peer.alias) == peer { labels.append(Array(peer.alias.utf8)) }
        return labels.flatMap { peerRecords(peer, label: $0, snapshot: snapshot) }
    }

    private func peerRecords(_ peer: Peer, label: [UInt8], snapshot: RegistrySnapshot) -> [DNSResourceRecord] {
        var records = [DNSResourceRecord]()
        let name = zone.name.labels
        func add(_ node: DNSZoneNode, _ prefix: [[UInt8]]) {
            guard let owner = try? DNSName(labels: prefix + name) else { return }
            records += zone.records(at: node, owner: owner, snapshot: snapshot).answers
        }
        add(.peer(peer, label: label), [label])
        if peer.lanEndpoint != nil { add(.endpoint(peer, label: label, kind: .lan), [DNSZoneNode.lan, label]) }
        if peer.natEndpoint != nil { add(.endpoint(peer, label: label, kind: .nat), [DNSZoneNode.nated, label]) }
        add(.service(peer, label: label), [DNSZoneNode.wireguard, DNSZoneNode.udp, label])
        if !snapshot.relays(of: peer.publicKey).isEmpty { add(.relay(peer, label: label), [DNSZoneNode.relayLabel, DNSZoneNode.udp, label]) }
        add(.instance(peer, label: label), [label, DNSZoneNode.wireguard, DNSZoneNode.udp])
        return records
    }
}
