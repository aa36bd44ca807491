import ValonKit

extension DNSZoneResponder {
    /// AXFR (RFC 5936): over TCP, to allowed clients, for the apex only. The zone's records
    /// between two copies of the SOA, split across messages of at most
    /// ``DNSZone/transferRecordsPerMessage`` records; the question only in the first. The
    /// messages are made one at a time as the server sends them (``DNSZoneTransferStream``).
    /// Without a registry read (`snapshot` `nil`) an allowed client gets SERVFAIL.
    ///
    /// IXFR (RFC 1995), over TCP or UDP, to the same clients: see ``incrementalTransfer``.
    func transfer(query: DNSMessage, response: DNSMessage, client: IPAddress?, transport: DNSTransport,
                  snapshot: RegistrySnapshot?) -> (outcome: DNSResponderOutcome, summary: Summary?) {
        let question = query.questions[0]
        var response = response
        let summary = { (rcode: DNSResponseCode) in Summary(type: question.type, rcode: rcode) }
        guard transport == .tcp || question.type == .ixfr, question.name == zone.name, zone.allowsTransfer(to: client) else {
            response.responseCode = .refused
            return (.reply([encode(response)]), summary(.refused))
        }
        guard let snapshot else {
            // No registry read yet: a transfer now would hand the secondary an empty zone.
            response.responseCode = .servFail
            return (.reply([encode(response)]), summary(.servFail))
        }
        response.header.isAuthoritative = true
        if question.type == .ixfr {
            return incrementalTransfer(query: query, response: response, transport: transport, snapshot: snapshot)
        }
        return (.transfer(DNSZoneTransferStream(responder: self, response: response, snapshot: snapshot)), summary(.noError))
    }

    /// IXFR (RFC 1995). The query's authority section holds the client's SOA (§3); without
    /// one it is FORMERR. Then:
    /// - a serial equal to ours or newer (RFC 1982 arithmetic): our SOA alone (§2);
    /// - a serial ``history`` holds: the condensed difference (§4), `SOA(new) SOA(old)
    ///   deleted… SOA(new) added… SOA(new)`; the whole zone instead when the difference has
    ///   as many records as the zone;
    /// - a serial the history has not tried: ``DNSResponderOutcome/loadHistory(serial:)``
    ///   when ``loadsHistory``, so the server reads the registry at that revision from etcd
    ///   and asks again;
    /// - otherwise (too old, compacted, never a serial of ours): the whole zone, AXFR-style
    ///   (§4 allows it).
    ///
    /// Over UDP an answer that does not fit one message is our SOA alone, which tells the
    /// client to ask again over TCP (§2).
    func incrementalTransfer(query: DNSMessage, response: DNSMessage, transport: DNSTransport,
                             snapshot: RegistrySnapshot) -> (outcome: DNSResponderOutcome, summary: Summary?) {
        var response = response
        let summary = { (rcode: DNSResponseCode, answer: IXFRAnswer?) in Summary(type: .ixfr, rcode: rcode, ixfr: answer) }
        let currentSOA = zone.soa(serial: snapshot.serial)
        guard let clientSOA = query.authorities.first(where: { $0.type == .soa && $0.name == zone.name }),
              case .soa(let soa) = clientSOA.data else {
            response.responseCode = .formErr
            return (.reply([encode(response)]), summary(.formErr, nil))
        }
        func soaOnly() -> (outcome: DNSResponderOutcome, summary: Summary?) {
            response.answers = [currentSOA]
            return (.reply([encode(response)]), summary(.noError, .current))
        }
        guard Self.serial(soa.serial, isOlderThan: snapshot.serial) else { return soaOnly() }
        var difference: DNSZoneDifference?
        switch history?.lookup(soa.serial) ?? .unavailable {
        case .snapshot(let old):
            let found = history!.difference(responder: self, from: old, to: snapshot)
            // Cheap first: a difference smaller than two records a peer is smaller than the zone.
            if found.recordCount < 2 * snapshot.peers.count || found.recordCount < history!.recordCount(responder: self, snapshot: snapshot) {
                difference = found
            }
        case .unknown where loadsHistory:
            return (.loadHistory(serial: soa.serial), nil)
        case .unknown, .unavailable:
            break
        }
        let stream = DNSZoneTransferStream(responder: self, response: response, snapshot: snapshot, difference: difference)
        guard transport == .udp else { return (.transfer(stream), summary(.noError, difference == nil ? .full : .difference)) }
        // UDP: one message with everything, or the SOA alone.
        guard difference != nil else { return soaOnly() }
        var message = response
        message.answers = Array(DNSZoneTransferStream.Records(responder: self, snapshot: snapshot, difference: difference))
        guard let bytes = try? message.encoded(), bytes.count <= udpLimit(query: query) else { return soaOnly() }
        return (.reply([bytes]), summary(.noError, .difference))
    }

    /// RFC 1982 §3.2: whether serial `a` comes before `b` (`a` ≠ `b` and less than 2^31 behind).
    static func serial(_ a: UInt32, isOlderThan b: UInt32) -> Bool {
        a != b && b &- a < 1 << 31
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
