import Testing
import ValonDiscovery
import ValonKit

/// The protocol rules around the answers: EDNS, truncation, opcodes, malformed queries,
/// forwarding and zone transfers.
@Suite("DNS zone responder: protocol")
struct DNSZoneResponderProtocolTests {
    typealias Fixture = DNSZoneFixture

    static func query(_ name: String, _ type: DNSRecordType, edns: DNSEDNS? = DNSEDNS()) -> DNSMessage {
        DNSMessage.query(id: 7, name: try! DNSName(Fixture.expand(name)), type: type, edns: edns)
    }

    /// A snapshot of `count` peers, so the browse answer outgrows any UDP size.
    static func bigSnapshot(_ count: Int) -> RegistrySnapshot {
        RegistrySnapshot(peers: (0..<count).map { index in
            var bytes = [UInt8](repeating: 0, count: 32)
            bytes[0] = UInt8(index >> 8)
            bytes[1] = UInt8(index & 0xFF)
            return Peer(publicKey: try! WireGuardKey(bytes: bytes), alias: "peer\(index)",
                        wgIP: .v4(IPv4Address(value: 0x6464_0000 + UInt32(index) + 2)))
        }, revision: 99)
    }

    @Test func withoutEDNSNoOPTAndTheAnswerIsCappedAt512Bytes() throws {
        let response = try DNSZoneResponderTests.answer(Self.query("_wireguard._udp.valon.internal", .ptr, edns: nil),
                                                        snapshot: Self.bigSnapshot(40))
        #expect(response.edns == nil)
        #expect(response.header.isTruncated)
        #expect(response.answers.isEmpty)
        #expect(response.questions.count == 1)
        #expect(try response.encoded().count <= 512)
    }

    @Test func truncationKeepsWholeRRsetsAndTCPGetsEverything() throws {
        let query = Self.query("_wireguard._udp.valon.internal", .ptr, edns: DNSEDNS(udpPayloadSize: 4096))
        let udp = try DNSZoneResponderTests.answer(query, snapshot: Self.bigSnapshot(200))
        #expect(udp.header.isTruncated)
        #expect(udp.answers.isEmpty)
        #expect(try udp.encoded().count <= 1232)
        let tcp = try DNSZoneResponderTests.answer(query, transport: .tcp, snapshot: Self.bigSnapshot(200))
        #expect(!tcp.header.isTruncated)
        #expect(tcp.answers.count == 200)
    }

    @Test func overTCPABrowseLargerThan64KiBIsTruncatedNotFailed() throws {
        let query = Self.query("_wireguard._udp.valon.internal", .ptr)
        let response = try DNSZoneResponderTests.answer(query, transport: .tcp, snapshot: Self.bigSnapshot(2000))
        #expect(response.responseCode == .noError)
        #expect(response.header.isTruncated)
        #expect(response.questions == query.questions)
    }

    /// Both names whose answer grows with the registry follow one rule (``DNSZoneResponder``'s
    /// `fitted`): over UDP past the client's size and over TCP past 65,535 bytes the whole
    /// RRset is left out with TC; just below the limit everything is there.
    @Test(arguments: [
        // name, type, the most peers that fit over TCP (with EDNS)
        ("_wireguard._udp.valon.internal", DNSRecordType.ptr, 977),
        ("_valon._tcp.valon.internal", DNSRecordType.srv, 752),
    ])
    func bothListingsFollowOneSizeRule(_ name: String, _ type: DNSRecordType, _ mostOverTCP: Int) throws {
        let query = Self.query(name, type)
        for (transport, peers, fits) in [(DNSTransport.tcp, mostOverTCP, true), (.tcp, mostOverTCP + 1, false),
                                         (.tcp, 2000, false), (.udp, 10, true), (.udp, 40, false)] {
            let response = try DNSZoneResponderTests.answer(query, transport: transport, snapshot: Self.bigSnapshot(peers))
            let encoded = try response.encoded()
            #expect(response.responseCode == .noError)
            #expect(response.header.isAuthoritative)
            #expect(response.questions == query.questions)
            #expect(response.edns != nil)
            #expect(encoded.count <= (transport == .tcp ? 65535 : 1232))
            if fits {
                #expect(!response.header.isTruncated, "\(transport) \(peers) peers")
                #expect(response.answers.count == peers, "\(transport) \(peers) peers")
            } else {
                #expect(response.header.isTruncated, "\(transport) \(peers) peers")
                #expect(response.answers.isEmpty && response.authorities.isEmpty)
                #expect(response.additionals.allSatisfy { $0.type == .opt })
            }
        }
    }

    @Test func theListingsTargetsAddressesFillTheAdditionalSectionAsFarAsTheyFit() throws {
        // Ten 87-byte SRVs fit in 1,232 bytes with room for four of their 69-byte A records;
        // the rest are left out without TC (RFC 2181 §9). Over TCP all ten are there.
        let query = Self.query("_valon._tcp.valon.internal", .srv)
        let snapshot = Self.bigSnapshot(10)
        let expected = snapshot.peers.map { "\($0.publicKey.dnsLabel).valon.internal. 2 IN A \($0.wgIP)" }
        let udp = try DNSZoneResponderTests.answer(query, snapshot: snapshot)
        #expect(!udp.header.isTruncated)
        #expect(udp.answers.count == 10)
        #expect(udp.additionals.filter { $0.type == .a }.map(\.description) == Array(expected.prefix(4)))
        let tcp = try DNSZoneResponderTests.answer(query, transport: .tcp, snapshot: snapshot)
        #expect(tcp.additionals.filter { $0.type == .a }.map(\.description) == expected)
    }

    @Test func withoutPeersTheListingAndTcpDoNotExist() throws {
        let empty = RegistrySnapshot(peers: [], revision: 3)
        for name in ["_valon._tcp.valon.internal", "_tcp.valon.internal", "_wireguard._udp.valon.internal"] {
            let response = try DNSZoneResponderTests.answer(Self.query(name, .srv), snapshot: empty)
            #expect(response.responseCode == .nxDomain, "\(name)")
            #expect(response.answers.isEmpty)
        }
    }

    @Test func aSmallEDNSAnswerFitsWithoutTC() throws {
        let response = try DNSZoneResponderTests.answer(Self.query("_wireguard._udp.valon.internal", .ptr))
        #expect(!response.header.isTruncated)
        #expect(response.answers.count == 3)
    }

    @Test func ednsVersionAboveZeroGetsBADVERS() throws {
        let response = try DNSZoneResponderTests.answer(Self.query("client01.valon.internal", .a, edns: DNSEDNS(version: 1)))
        #expect(response.responseCode == .badVers)
        #expect(response.edns?.version == 0)
        #expect(response.answers.isEmpty)
    }

    @Test(arguments: [DNSOpcode.status, .notify, .update, DNSOpcode(rawValue: 3)])
    func otherOpcodesGetNOTIMP(_ opcode: DNSOpcode) throws {
        var query = Self.query("client01.valon.internal", .a)
        query.header.opcode = opcode
        let response = try DNSZoneResponderTests.answer(query)
        #expect(response.responseCode == .notImp)
        #expect(response.header.opcode == opcode)
    }

    @Test func twoQuestionsOrNoneGetFORMERR() throws {
        var two = Self.query("client01.valon.internal", .a)
        two.questions.append(two.questions[0])
        #expect(try DNSZoneResponderTests.answer(two).responseCode == .formErr)
        var none = Self.query("client01.valon.internal", .a)
        none.questions = []
        #expect(try DNSZoneResponderTests.answer(none).responseCode == .formErr)
    }

    @Test func aBrokenBodyWithAReadableHeaderGetsFORMERR() throws {
        var packet = try Self.query("client01.valon.internal", .a, edns: nil).encoded()
        packet.removeLast(3)
        let replies = try DNSZoneResponderTests.replies(packet)
        let response = try DNSMessage(decoding: try #require(replies.first))
        #expect(response.header.id == 7)
        #expect(response.responseCode == .formErr)
        #expect(response.questions.isEmpty)
    }

    @Test(arguments: [[UInt8](), [0x12], [UInt8](repeating: 0, count: 11)])
    func lessThanAHeaderIsDropped(_ packet: [UInt8]) {
        let (outcome, _) = DNSZoneResponder(zone: Fixture.zone).respond(to: packet, client: nil, transport: .udp,
                                                                        snapshot: Fixture.snapshot)
        #expect(outcome == .drop)
    }

    @Test func responsesAreNeverAnswered() throws {
        var packet = try Self.query("client01.valon.internal", .a).encoded()
        packet[2] |= 0x80
        let (outcome, _) = DNSZoneResponder(zone: Fixture.zone).respond(to: packet, client: nil, transport: .udp,
                                                                        snapshot: Fixture.snapshot)
        #expect(outcome == .drop)
    }

    @Test func forwardingHandsOutOfZoneNamesOnAndSetsRA() throws {
        var zone = Fixture.zone
        zone.forwarding = true
        let query = Self.query("example.com", .a)
        let (outcome, _) = DNSZoneResponder(zone: zone).respond(to: try query.encoded(), client: nil, transport: .udp,
                                                                snapshot: Fixture.snapshot)
        #expect(outcome == .forward(query))
        let inZone = try DNSZoneResponderTests.answer(Self.query("client01.valon.internal", .a), zone: zone)
        #expect(inZone.header.recursionAvailable)
    }

    @Test func transferOverTCPFromAnAllowedClient() throws {
        let messages = try DNSZoneResponderTests.replies(try Self.query("valon.internal", .axfr).encoded(), transport: .tcp)
        let decoded = try messages.map { try DNSMessage(decoding: $0) }
        let records = decoded.flatMap(\.answers)
        #expect(records.first?.description == Fixture.soa)
        #expect(records.last?.description == Fixture.soa)
        #expect(records.count(where: { $0.type == .soa }) == 2)
        #expect(decoded.allSatisfy { $0.responseCode == .noError && $0.header.isAuthoritative })
        #expect(decoded.dropFirst().allSatisfy { $0.questions.isEmpty })
        let lines = Set(records.map(\.description))
        for expected in [
            "client01.valon.internal. 2 IN A 100.100.0.2",
            "{k1}.valon.internal. 2 IN A 100.100.0.2",
            "nated.{k2}.valon.internal. 2 IN AAAA 2001:db8::5",
            "_wireguard._udp.valon.internal. 2 IN PTR {k3}._wireguard._udp.valon.internal.",
            "_wireguard._udp.client01.valon.internal. 2 IN SRV 0 0 51820 lan.client01.valon.internal.",
            #"{k3}._wireguard._udp.valon.internal. 2 IN TXT "txtvers=1" "pub={b3}" "wg_ip=100.100.0.4" "alias=bare""#,
            "discovery.valon.internal. 2 IN A 100.100.0.1",
            "_valon._tcp.valon.internal. 2 IN SRV 0 0 0 {k1}.valon.internal.",
            "_valon._tcp.valon.internal. 2 IN SRV 0 0 0 {k3}.valon.internal.",
        ] {
            #expect(lines.contains(Fixture.expand(expected)), "\(expected)")
        }
    }

    @Test func aLargeTransferIsSplitIntoBoundedMessages() throws {
        let messages = try DNSZoneResponderTests.replies(try Self.query("valon.internal", .axfr).encoded(), transport: .tcp,
                                                         snapshot: Self.bigSnapshot(300))
        #expect(messages.count > 1)
        let records = try messages.flatMap { try DNSMessage(decoding: $0).answers }
        #expect(records.count(where: { $0.type == .ptr }) == 300)
        let listing = try DNSName("_valon._tcp.valon.internal")
        let listed = records.filter { $0.name == listing }
        #expect(listed.count == 300)
        #expect(Set(listed.map(\.description)) == Set(Self.bigSnapshot(300).peers.map {
            "_valon._tcp.valon.internal. 2 IN SRV 0 0 0 \($0.publicKey.dnsLabel).valon.internal."
        }))
        #expect(messages.allSatisfy { $0.count < 65535 })
    }

    @Test(arguments: [
        (DNSTransport.udp, "127.0.0.1", "valon.internal"),
        (DNSTransport.tcp, "192.0.2.1", "valon.internal"),
        (DNSTransport.tcp, "127.0.0.1", "client01.valon.internal"),
        (DNSTransport.tcp, "127.0.0.1", "example.com"),
    ])
    func transferIsRefusedOverUDPToOthersAndBelowTheApex(_ transport: DNSTransport, _ client: String, _ name: String) throws {
        let response = try DNSZoneResponderTests.answer(Self.query(name, .axfr), transport: transport, client: IPAddress(client))
        #expect(response.responseCode == .refused)
        #expect(response.answers.isEmpty)
    }
}
