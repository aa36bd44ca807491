import Foundation
import Testing
@testable import ValonKit

/// AXFR (RFC 5936) from a real NSD, checked against the zone file and against
/// `dig AXFR`; refusals from NSD; and servers (test-owned sockets) that break off,
/// send garbage or never end.
@Suite(.tags(.process), .timeLimit(.minutes(10))) struct ZoneTransferProcessTests {
    let zone = try! DNSName(DNSTestZones.transferZone)

    static func zoneFile() -> String {
        "$ORIGIN axfr.test.\n" + DNSTestZones.transferRecords.joined(separator: "\n") + "\n"
    }

    @Test func aThousandRecordTransferMatchesTheZoneAndDig() async throws {
        let nsd = try NSDServer(zones: [.init(name: DNSTestZones.transferZone, text: Self.zoneFile())])
        defer { nsd.stop() }
        let transfer = try await DNSResolver(server: Endpoint(nsd.endpointText)!).transferZone(zone)
        let records = transfer.records.map(DNSTestZones.presentation)
        #expect(records.count == 1000)
        #expect(records.first == DNSTestZones.transferRecords[0].lowercased())
        #expect(transfer.soa.type == .soa)
        #expect(Set(records) == Set(DNSTestZones.transferRecords.map { $0.lowercased() }))
        #expect(transfer.messageCount > 1, "a 1000-record zone does not fit one message")
        // dig as the oracle: the same records, the SOA once more at the end.
        let dig = try Command.check(["dig", "+noall", "+answer", "-p", "\(nsd.port)", "@127.0.0.1", "axfr.test.", "AXFR"])
        let digRecords = DNSTestZones.normalizeDigLines(dig)
        #expect(digRecords.count == records.count + 1)
        #expect(Set(digRecords) == Set(records))
    }

    @Test func aTransferOverIPv6() async throws {
        let nsd = try NSDServer(zones: [.init(name: DNSTestZones.transferZone, text: Self.zoneFile())])
        defer { nsd.stop() }
        let transfer = try await DNSResolver(server: Endpoint("[::1]:\(nsd.port)")!).transferZone(zone)
        #expect(transfer.records.count == 1000)
    }

    @Test func nsdRefusesAnAddressItDoesNotProvideTo() async throws {
        let nsd = try NSDServer(zones: [
            .init(name: DNSTestZones.transferZone, text: Self.zoneFile(), transferTo: ["192.0.2.99"]),
        ])
        defer { nsd.stop() }
        let error = await #expect(throws: DNSError.self) {
            try await DNSResolver(server: Endpoint(nsd.endpointText)!).transferZone(zone)
        }
        #expect(error?.code == .refused)
        #expect(error?.message.contains(nsd.endpointText) == true)
        // dig sees the same refusal.
        let dig = try Command.run(["dig", "-p", "\(nsd.port)", "@127.0.0.1", "axfr.test.", "AXFR"])
        #expect(dig.stdout.contains("Transfer failed"))
    }

    static let soa = DNSResourceRecord(
        name: try! DNSName("axfr.test."), dnsClass: .in, ttl: 300,
        data: .soa(DNSSOA(primaryServer: try! DNSName("ns1.axfr.test."), responsibleMailbox: try! DNSName("hostmaster.axfr.test."),
                          serial: 7, refresh: 3600, retry: 600, expire: 86400, minimum: 2)))

    static func message(replying query: DNSMessage, _ records: [DNSResourceRecord], question: Bool = true) -> [UInt8] {
        var reply = query
        reply.header.isResponse = true
        reply.edns = nil
        if !question { reply.questions = [] }
        reply.answers = records
        return DNSStreamFramer.frame(try! reply.encoded())
    }

    static func host(_ index: Int) -> DNSResourceRecord {
        DNSResourceRecord(name: try! DNSName("h\(index).axfr.test."), dnsClass: .in, ttl: 60,
                          data: .a(IPv4Address(value: 0x0A00_0000 + UInt32(index))))
    }

    /// What a scripted server sends, and what the client must make of it.
    struct Misbehaviour: CustomTestStringConvertible, Sendable {
        var name: String
        var script: @Sendable (DNSMessage, ([UInt8]) -> Bool) -> Void
        var code: DNSError.Code
        var says: String
        var testDescription: String { name }
    }

    static let misbehaviours: [Misbehaviour] = [
        Misbehaviour(name: "closes before the closing SOA", script: { query, send in
            _ = send(message(replying: query, [soa] + (0..<10).map(host)))
        }, code: .transferFailed, says: "closed the connection after 1 messages and 11 records"),
        Misbehaviour(name: "closes in the middle of a message", script: { query, send in
            _ = send(Array(message(replying: query, [soa, host(1)]).dropLast(3)))
        }, code: .transferFailed, says: "in the middle of a message"),
        Misbehaviour(name: "sends garbage", script: { query, send in
            _ = send(DNSStreamFramer.frame([UInt8(query.header.id >> 8), UInt8(query.header.id & 0xFF)] + Array(repeating: 0xFF, count: 30)))
        }, code: .malformedReply, says: "does not decode"),
        Misbehaviour(name: "starts without the SOA", script: { query, send in
            _ = send(message(replying: query, [host(1), soa]))
        }, code: .transferFailed, says: "not the SOA"),
        Misbehaviour(name: "answers with another ID", script: { query, send in
            var other = query
            other.header.id &+= 1
            _ = send(message(replying: other, [soa, soa]))
        }, code: .transferFailed, says: "has ID"),
        Misbehaviour(name: "answers NOTAUTH", script: { query, send in
            var reply = query
            reply.header.isResponse = true
            reply.header.responseCode = .notAuth
            reply.edns = nil
            _ = send(DNSStreamFramer.frame(try! reply.encoded()))
        }, code: .refused, says: "refused the AXFR"),
        Misbehaviour(name: "never ends", script: { query, send in
            var index = 0
            guard send(message(replying: query, [soa])) else { return }
            while send(message(replying: query, [host(index)], question: false)) { index += 1 }
        }, code: .transferFailed, says: "more than 50 messages"),
        Misbehaviour(name: "records after the closing SOA", script: { query, send in
            _ = send(message(replying: query, [soa, host(1), soa, host(2)]))
        }, code: .transferFailed, says: "follow the closing SOA"),
    ]

    @Test(arguments: misbehaviours)
    func aMisbehavingServerFailsTheTransfer(_ case: Misbehaviour) async throws {
        let server = ScriptedTCPServer(script: `case`.script)
        defer { server.stop() }
        var configuration = DNSResolver.Configuration(server: Endpoint("127.0.0.1:\(server.port)")!)
        configuration.zoneTransferLimits.maxMessages = 50
        configuration.timeout = .seconds(5)
        let error = await #expect(throws: DNSError.self) {
            try await DNSResolver(configuration: configuration).transferZone(zone)
        }
        #expect(error?.code == `case`.code)
        #expect(error?.message.contains(`case`.says) == true, "\(String(describing: error))")
        #expect(error?.message.contains("127.0.0.1:\(server.port)") == true)
    }

    @Test func aTransferWithEmptyQuestionsAfterTheFirstMessageSucceeds() async throws {
        let server = ScriptedTCPServer { query, send in
            _ = send(Self.message(replying: query, [Self.soa, Self.host(0)]))
            _ = send(Self.message(replying: query, [Self.host(1), Self.host(2)], question: false))
            _ = send(Self.message(replying: query, [Self.host(3), Self.soa]))
        }
        defer { server.stop() }
        let transfer = try await DNSResolver(server: Endpoint("127.0.0.1:\(server.port)")!).transferZone(zone)
        #expect(transfer.records == [Self.soa] + (0..<4).map(Self.host))
        #expect(transfer.messageCount == 3)
    }
}
