import Testing
@testable import ValonKit

/// The pure bookkeeping behind pipelined queries: IDs, the window, retransmission and
/// which replies count (RFC 5452 §9.1).
@Suite struct DNSQueryPipelineTests {
    let questions = (0..<10).map { DNSQuestion(name: try! DNSName("host\($0).pipeline.test."), type: .a, dnsClass: .in) }
    let start = ContinuousClock.now

    func pipeline(window: Int = 3, attempts: Int = 2) throws -> DNSQueryPipeline {
        var generator = SystemRandomNumberGenerator()
        return try DNSQueryPipeline(questions: questions, edns: nil, window: window, attempts: attempts,
                                    timeout: .seconds(1), using: &generator)
    }

    func reply(to query: DNSQueryPipeline.Query, _ adjust: (inout DNSMessage) -> Void = { _ in }) -> [UInt8] {
        var message = try! DNSMessage(decoding: query.packet)
        message.header.isResponse = true
        adjust(&message)
        return try! message.encoded()
    }

    @Test func queriesCarryDistinctIDsAndTheirQuestions() throws {
        let pipeline = try pipeline()
        #expect(Set(pipeline.queries.map(\.id)).count == questions.count)
        for (query, question) in zip(pipeline.queries, questions) {
            let message = try DNSMessage(decoding: query.packet)
            #expect(message.header.id == query.id)
            #expect(message.questions == [question])
            #expect(!message.header.isResponse)
        }
    }

    @Test func theWindowBoundsOutstandingQueries() throws {
        var pipeline = try pipeline(window: 3)
        var sent: [Int] = []
        while let index = pipeline.nextToSend(now: start) {
            pipeline.didSend(index, at: start)
            sent.append(index)
        }
        #expect(sent == [0, 1, 2])
        #expect(pipeline.accept(reply(to: pipeline.queries[1])) == .matched(1))
        #expect(pipeline.nextToSend(now: start) == 3)
    }

    @Test func aQueryIsSentAgainAfterTheTimeoutThenGivenUp() throws {
        var pipeline = try pipeline(window: 1, attempts: 2)
        pipeline.didSend(0, at: start)
        #expect(pipeline.nextToSend(now: start + .milliseconds(999)) == nil)
        #expect(pipeline.nextDeadline == start + .seconds(1))
        #expect(pipeline.nextToSend(now: start + .seconds(1)) == 0)
        pipeline.didSend(0, at: start + .seconds(1))
        #expect(pipeline.queries[0].sends == 2)
        #expect(pipeline.exhausted(now: start + .milliseconds(1999)) == nil)
        #expect(pipeline.nextToSend(now: start + .seconds(2)) == nil)
        #expect(pipeline.exhausted(now: start + .seconds(2)) == 0)
    }

    @Test func onlyAMatchingReplyCounts() throws {
        var pipeline = try pipeline(window: 10)
        pipeline.didSend(0, at: start)
        let query = pipeline.queries[0]
        #expect(pipeline.accept([0, 1, 2]) == .ignored("a 3-byte message is shorter than a DNS header"))
        let otherID = reply(to: query) { $0.header.id = query.id &+ 1 }
        guard case .ignored = pipeline.accept(otherID) else { Issue.record("a reply with another ID was taken"); return }
        let notResponse = reply(to: query) { $0.header.isResponse = false }
        guard case .ignored = pipeline.accept(notResponse) else { Issue.record("a query was taken as a reply"); return }
        let otherQuestion = reply(to: query) { $0.questions[0].type = .aaaa }
        guard case .ignored = pipeline.accept(otherQuestion) else { Issue.record("another question was taken"); return }
        #expect(pipeline.queries[0].problem?.code == .malformedReply)
        let garbage = Array(query.packet.prefix(2)) + [0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF]
        guard case .ignored = pipeline.accept(garbage) else { Issue.record("garbage was taken"); return }
        // The question matches case-insensitively (RFC 4343).
        let upperCase = reply(to: query) { $0.questions[0].name = try! DNSName("HOST0.Pipeline.TEST.") }
        #expect(pipeline.accept(upperCase) == .matched(0))
        #expect(pipeline.accept(upperCase) == .ignored("query with ID \(query.id) already answered"))
        #expect(pipeline.answeredCount == 1)
    }

    @Test func aReplyToAQueryNotYetSentIsIgnored() throws {
        var pipeline = try pipeline()
        guard case .ignored = pipeline.accept(reply(to: pipeline.queries[5])) else {
            Issue.record("a reply to an unsent query was taken")
            return
        }
    }
}
