import Testing
@testable import ValonKit

/// The two-byte length framing of DNS over TCP (RFC 1035 §4.2.2), fed in every split.
@Suite struct DNSStreamFramerTests {
    @Test func framePrefixesTheLengthInNetworkOrder() {
        #expect(DNSStreamFramer.frame([0xAA, 0xBB, 0xCC]) == [0x00, 0x03, 0xAA, 0xBB, 0xCC])
        #expect(DNSStreamFramer.frame(Array(repeating: 7, count: 0x1234)).prefix(2) == [0x12, 0x34])
        #expect(DNSStreamFramer.frame([]) == [0x00, 0x00])
    }

    @Test(arguments: [1, 2, 3, 5, 7, 64, 1000])
    func messagesSurviveAnySplitOfTheStream(chunkSize: Int) {
        let messages: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 9, count: 300), [0xFF]]
        let stream = messages.flatMap(DNSStreamFramer.frame)
        var framer = DNSStreamFramer()
        var received: [[UInt8]] = []
        var offset = 0
        while offset < stream.count {
            framer.append(stream[offset..<min(offset + chunkSize, stream.count)])
            offset += chunkSize
            while let message = framer.nextMessage() { received.append(message) }
        }
        #expect(received == messages)
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func anIncompleteMessageStaysBuffered() {
        var framer = DNSStreamFramer()
        framer.append([0x00, 0x05, 1, 2])
        #expect(framer.nextMessage() == nil)
        #expect(framer.bufferedByteCount == 4)
        framer.append([3, 4, 5, 0x00])
        #expect(framer.nextMessage() == [1, 2, 3, 4, 5])
        #expect(framer.nextMessage() == nil)
        #expect(framer.bufferedByteCount == 1)
    }
}
