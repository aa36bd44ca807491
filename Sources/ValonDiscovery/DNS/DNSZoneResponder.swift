import ValonKit

/// The transport a query came over: UDP answers are limited in size, TCP ones are not.
public enum DNSTransport: Sendable, Hashable {
    case udp
    case tcp
}

/// What to do with one received packet.
public enum DNSResponderOutcome: Sendable, Equatable {
    /// Send these messages, in order.
    case reply([[UInt8]])
    /// Send a zone transfer's messages, made one by one as the connection takes them.
    case transfer(DNSZoneTransferStream)
    /// The name is outside the zone and forwarding is configured: ask an upstream.
    case forward(DNSMessage)
    /// An IXFR from a serial the history has not tried (RFC 1995): read the registry at that
    /// serial's revision into the history (``RegistrySnapshotStore/loadHistory(serial:)``),
    /// then answer the packet again.
    case loadHistory(serial: UInt32)
    /// Send nothing: the packet is not a readable query (shorter than a header, or a response).
    case drop
}

/// The pure zone responder (docs/ARCHITECTURE.md §3): a query, the client and the registry snapshot in,
/// the response out. No I/O, no clock, no state: the server wraps it.
///
/// A dispatch on (type, name): the name below the apex finds a ``DNSZoneNode``, the node
/// gives its records, the type selects among them. Everything else is RFC 1035/2308/6891
/// plumbing: NODATA and NXDOMAIN with the SOA (RFC 2308 §2), REFUSED outside the zone, AA,
/// EDNS echo and BADVERS, TC over UDP, NOTIMP for other opcodes, FORMERR for bad queries.
public struct DNSZoneResponder: Sendable {
    public var zone: DNSZone
    /// The earlier snapshots IXFR answers from; `nil` answers every IXFR with the whole zone.
    public var history: RegistryHistory?
    /// Whether a serial the history has not tried is answered with
    /// ``DNSResponderOutcome/loadHistory(serial:)`` (the server can read it from etcd).
    public var loadsHistory: Bool

    public init(zone: DNSZone, history: RegistryHistory? = nil, loadsHistory: Bool = false) {
        self.zone = zone
        self.history = history
        self.loadsHistory = loadsHistory
    }

    /// The response code and question type of the last answer, for metrics.
    public struct Summary: Sendable, Equatable {
        public var type: DNSRecordType
        public var rcode: DNSResponseCode
        /// For an IXFR, what the answer carried.
        public var ixfr: IXFRAnswer? = nil
    }

    /// Answers one packet. `snapshot` is `nil` while the node has no registry it has read
    /// (docs/ARCHITECTURE.md §9): every question about the zone is then answered SERVFAIL.
    public func respond(to packet: [UInt8], client: IPAddress?, transport: DNSTransport,
                        snapshot: RegistrySnapshot?) -> (outcome: DNSResponderOutcome, summary: Summary?) {
        guard packet.count >= 12, packet[2] & 0x80 == 0 else { return (.drop, nil) }
        let query: DNSMessage
        do {
            query = try DNSMessage(decoding: packet)
        } catch {
            // The header is readable: say FORMERR with the query's ID and opcode, no question.
            var header = DNSHeader(id: UInt16(packet[0]) << 8 | UInt16(packet[1]),
                                   flags: UInt16(packet[2]) << 8 | UInt16(packet[3]))
            header.isResponse = true
            header.isAuthoritative = false
            header.isTruncated = false
            header.recursionAvailable = zone.forwarding
            header.authenticData = false
            header.reservedBit = false
            header.responseCode = .formErr
            return (.reply([encode(DNSMessage(header: header))]), Summary(type: DNSRecordType(rawValue: 0), rcode: .formErr))
        }
        return respond(to: query, client: client, transport: transport, snapshot: snapshot)
    }

    /// Answers one decoded query; `nil` for `snapshot` as above.
    public func respond(to query: DNSMessage, client: IPAddress?, transport: DNSTransport,
                        snapshot: RegistrySnapshot?) -> (outcome: DNSResponderOutcome, summary: Summary?) {
        guard !query.header.isResponse else { return (.drop, nil) }
        var response = DNSMessage(header: DNSHeader(
            id: query.header.id, isResponse: true, opcode: query.header.opcode,
            recursionDesired: query.header.recursionDesired, recursionAvailable: zone.forwarding,
            checkingDisabled: query.header.checkingDisabled))
        response.questions = query.questions
        let type = query.questions.first?.type ?? DNSRecordType(rawValue: 0)
        func finish(_ rcode: DNSResponseCode) -> (outcome: DNSResponderOutcome, summary: Summary?) {
            response.responseCode = rcode
            return (.reply([fitted(response, query: query, transport: transport)]), Summary(type: type, rcode: rcode))
        }
        let optCount = query.additionals.count { $0.type == .opt }
        if let edns = query.edns, optCount == 1 {
            response.edns = DNSEDNS(udpPayloadSize: zone.udpPayloadSize)
            // RFC 6891 §6.1.3: a version we do not implement gets BADVERS, nothing else.
            if edns.version > 0 { return finish(.badVers) }
        }
        guard query.header.opcode == .query else { return finish(.notImp) }
        guard optCount <= 1, query.questions.count == 1 else { return finish(.formErr) }
        let question = query.questions[0]
        if question.type == .axfr || question.type == .ixfr {
            return transfer(query: query, response: response, client: client, transport: transport, snapshot: snapshot)
        }
        guard question.name.isSubdomain(of: zone.name) else {
            if zone.forwarding { return (.forward(query), Summary(type: type, rcode: .noError)) }
            return finish(.refused)
        }
        guard question.dnsClass == .in || question.dnsClass == .any else { return finish(.refused) }
        // Never a claim about the zone from a registry that was not read: no SOA, no NXDOMAIN.
        guard let snapshot else { return finish(.servFail) }
        response.header.isAuthoritative = true
        let labels = question.name.labels
        let relative = labels[..<(labels.count - zone.name.labelCount)]
        guard let node = DNSZoneNode(relative: relative, snapshot: snapshot) else {
            response.authorities = [zone.soa(serial: snapshot.serial)]
            return finish(.nxDomain)
        }
        let (records, additional) = zone.records(at: node, owner: question.name, snapshot: snapshot)
        let answers = question.type == .any ? records : records.filter { $0.type == question.type }
        if answers.isEmpty {
            response.authorities = [zone.soa(serial: snapshot.serial)]
        } else {
            response.answers = answers
            if answers.contains(where: { $0.type == .srv || $0.type == .ns }) {
                response.additionals.insert(contentsOf: additional, at: 0)
            }
        }
        return finish(.noError)
    }

    /// The encoded response, made to fit a UDP client's size (RFC 1035 §4.2.1: 512 bytes
    /// without EDNS; RFC 6891 §6.2.5: the smaller of its and our payload size with EDNS):
    /// the codec keeps whole RRsets, drops additional ones without TC (RFC 2181 §9) and
    /// answer or authority ones with TC, and keeps the question and the OPT record.
    ///
    /// Over TCP the limit is the 65,535 bytes a length prefix allows, and the same rule
    /// applies. This is the one place that says what happens past it, for both names whose
    /// answer grows with the registry: the `_wireguard._udp.<zone>` PTR browse (67 bytes a
    /// peer: 977 peers fit with EDNS, 978 do not) and the `_valon._tcp.<zone>` SRV listing
    /// (87 bytes a peer, as an SRV target is never compressed, RFC 2782: 752 fit, 753 do
    /// not). The answer is one RRset, so it is left out whole: NOERROR, AA and TC set, the
    /// question and OPT kept, no answer and no additional records. Nothing is cut inside
    /// the RRset and no error is returned; such clients read the zone by AXFR instead,
    /// which is split into messages of ``DNSZone/transferRecordsPerMessage`` records.
    func fitted(_ response: DNSMessage, query: DNSMessage, transport: DNSTransport) -> [UInt8] {
        let limit = transport == .tcp ? DNSMessage.maximumSize : udpLimit(query: query)
        if let bytes = try? response.encoded(maximumSize: limit) { return bytes }
        return encode(response)
    }

    /// The largest UDP response `query` may get: 512 bytes without EDNS (RFC 1035 §4.2.1),
    /// the smaller of its and our payload size with EDNS (RFC 6891 §6.2.5).
    func udpLimit(query: DNSMessage) -> Int {
        query.edns.map { Int(min(max($0.udpPayloadSize, 512), zone.udpPayloadSize)) } ?? 512
    }

    /// Encodes a response; a response this responder built always encodes, so a failure is
    /// answered with a bare SERVFAIL header rather than nothing.
    func encode(_ message: DNSMessage) -> [UInt8] {
        if let bytes = try? message.encoded() { return bytes }
        var header = message.header
        header.responseCode = .servFail
        return (try? DNSMessage(header: header).encoded()) ?? []
    }
}
