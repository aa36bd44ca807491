import ValonKit

extension DNSZoneResponder {
    /// AXFR (RFC 5936): over TCP, to allowed clients, for the apex only. The zone's records
    /// between two copies of the SOA, split across messages of at most
    /// ``DNSZone/transferRecordsPerMessage`` records; the question only in the first.
    /// IXFR (RFC 1995 §4) is answered the same way: a full transfer is a valid reply.
    func transfer(query: DNSMessage, response: DNSMessage, client: IPAddress?, transport: DNSTransport,
                  snapshot: RegistrySnapshot) -> (outcome: DNSResponderOutcome, summary: Summary?) {
        let question = query.questions[0]
        var response = response
        let summary = { (rcode: DNSResponseCode) in Summary(type: question.type, rcode: rcode) }
        guard transport == .tcp, question.name == zone.name, zone.allowsTransfer(to: client) else {
            response.responseCode = .refused
            return (.reply([encode(response)]), summary(.refused))
        }
        response.header.isAuthoritative = true
        let records = zoneRecords(snapshot: snapshot)
        var messages = [[UInt8]]()
        var start = 0
        repeat {
            let end = min(start + zone.transferRecordsPerMessage, records.count)
            var message = response
            if start > 0 { message.questions = [] }
            message.answers = Array(records[start..<end])
            messages.append(encode(message))
            start = end
        } while start < records.count
        return (.reply(messages), summary(.noError))
    }

    /// Every record of the zone in transfer order: the SOA, the apex, then each peer's names
    /// under its key label and its alias, and the SOA again.
    func zoneRecords(snapshot: RegistrySnapshot) -> [DNSResourceRecord] {
        let soa = zone.soa(serial: snapshot.serial)
        var records = [soa]
        records += zone.records(at: .apex, owner: zone.name, snapshot: snapshot).answers.filter { $0.type != .soa }
        records += zone.addressRecords(zone.discoveryAddresses, owner: zone.serverName)
        if !snapshot.peers.isEmpty, let browse = try? zone.name.prepending("_udp").prepending("_wireguard") {
            records += zone.records(at: .browse, owner: browse, snapshot: snapshot).answers
        }
        for peer in snapshot.peers {
            var labels = [Array(peer.publicKey.dnsLabel.utf8)]
            if snapshot.peer(named: peer.alias) == peer { labels.append(Array(peer.alias.utf8)) }
            for label in labels {
                records += peerRecords(peer, label: label, snapshot: snapshot)
            }
        }
        records.append(soa)
        return records
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
        add(.instance(peer, label: label), [label, DNSZoneNode.wireguard, DNSZoneNode.udp])
        return records
    }
}
