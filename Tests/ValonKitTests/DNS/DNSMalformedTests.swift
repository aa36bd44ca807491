import Testing
@testable import ValonKit

/// A header with the given counts, ID 0 and no flags.
private func header(qd: UInt16 = 0, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0) -> [UInt8] {
    [0, 0, 0, 0] + [qd, an, ns, ar].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
}

private let label63: [UInt8] = [63] + [UInt8](repeating: 0x61, count: 63)
/// A record's fixed part after its owner: TYPE, CLASS IN, TTL 0, RDLENGTH.
private func fixed(_ type: UInt16, _ rdlength: UInt16) -> [UInt8] {
    [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1, 0, 0, 0, 0, UInt8(rdlength >> 8), UInt8(rdlength & 0xFF)]
}

/// 130 compression pointers, each pointing at the one before it, inside the RDATA of an
/// unknown type, and an answer whose owner is the last pointer.
private let pointerChain: [UInt8] = {
    var rdata: [UInt8] = [0]  // the root at offset 23
    for index in 0..<130 {
        let target = index == 0 ? 23 : 24 + 2 * (index - 1)
        rdata += [0xC0 | UInt8(target >> 8), UInt8(target & 0xFF)]
    }
    let last = 24 + 2 * 129
    return header(an: 2) + [0] + fixed(99, UInt16(rdata.count)) + rdata
        + [0xC0 | UInt8(last >> 8), UInt8(last & 0xFF)] + fixed(1, 4) + [1, 2, 3, 4]
}()

@Suite("DNS decoder: malformed input ends in the specific error")
struct DNSMalformedTests {
    static let cases: [(String, [UInt8], DNSError.Code, Int)] = [
        ("empty message", [], .truncated, 0),
        ("truncated header", Array(header(qd: 1).prefix(11)), .truncated, 0),
        ("question name cut inside a label", header(qd: 1) + [3, 0x61, 0x62], .truncated, 12),
        ("question without QCLASS", header(qd: 1) + [0, 0, 1], .truncated, 15),
        ("QDCOUNT larger than the data", header(qd: 2) + [0, 0, 1, 0, 1], .countMismatch, 17),
        ("ANCOUNT larger than the data", header(an: 3) + [0] + fixed(1, 4) + [1, 2, 3, 4], .countMismatch, 27),
        ("ARCOUNT 65535 and no records", header(ar: 65535), .countMismatch, 12),
        ("NSCOUNT with the message ending inside a record", header(ns: 1) + [0] + fixed(1, 4), .badRDLength, 21),
        ("RDLENGTH past the end", header(an: 1) + [0] + fixed(1, 16) + [1, 2, 3, 4], .badRDLength, 21),
        ("RDLENGTH 5 for an A record", header(an: 1) + [0] + fixed(1, 5) + [1, 2, 3, 4, 5], .badRDLength, 21),
        ("RDLENGTH 3 for an A record", header(an: 1) + [0] + fixed(1, 3) + [1, 2, 3], .badRDLength, 23),
        ("RDLENGTH 15 for an AAAA record", header(an: 1) + [0] + fixed(28, 15) + [UInt8](repeating: 0, count: 15), .badRDLength, 23),
        ("NS name running past RDLENGTH", header(an: 1) + [0] + fixed(2, 2) + [3, 0x61, 0x62, 0x63, 0], .badRDLength, 23),
        ("NS name shorter than RDLENGTH", header(an: 1) + [0] + fixed(2, 4) + [1, 0x61, 0, 0], .badRDLength, 21),
        ("SOA without MINIMUM", header(an: 1) + [0] + fixed(6, 18) + [0, 0] + [UInt8](repeating: 0, count: 16), .badRDLength, 41),
        ("TXT string past RDLENGTH", header(an: 1) + [0] + fixed(16, 3) + [5, 0x61, 0x62], .badRDLength, 24),
        ("TXT without strings", header(an: 1) + [0] + fixed(16, 0), .invalidRecord, 23),
        ("SRV without target", header(an: 1) + [0] + fixed(33, 6) + [0, 0, 0, 0, 0, 80], .badRDLength, 29),
        ("OPTION-LENGTH past RDLENGTH", header(ar: 1) + [0] + fixed(41, 6) + [0, 10, 0, 8, 1, 2], .badRDLength, 27),
        ("pointer to itself", header(qd: 1) + [0xC0, 12, 0, 1, 0, 1], .pointerLoop, 12),
        ("pointer back into its own labels", header(qd: 1) + [1, 0x61, 0xC0, 12, 0, 1, 0, 1], .pointerLoop, 14),
        // Answer 1's RDATA (unknown type 99) at offset 23 is a pointer to answer 2's owner at
        // 25, and that owner is a pointer to 23: the two point at each other.
        ("two pointers to each other", header(an: 2) + [0] + fixed(99, 2) + [0xC0, 25] + [0xC0, 23] + fixed(1, 4) + [1, 2, 3, 4],
         .pointerLoop, 23),
        ("forward pointer", header(qd: 1) + [0xC0, 16, 0, 1, 0, 1], .badPointer, 12),
        ("pointer past the end", header(qd: 1) + [0xFF, 0xFF, 0, 1, 0, 1], .badPointer, 12),
        ("pointer cut after one byte", header(qd: 1) + [0xC0], .truncated, 12),
        // The NS name in RDATA points to offset 0, where the ID's first byte (0x3F) reads as
        // a 63-byte label that runs past the end of the 25-byte message.
        ("pointer to a label running past the message", [0x3F, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0] + [0] + fixed(2, 2) + [0xC0, 0],
         .truncated, 0),
        ("more than 127 pointers in one name", pointerChain, .badPointer, 24 + 2 * 3),
        ("64-byte label (length byte 0x40: extended label type)", header(qd: 1) + [64] + [UInt8](repeating: 0x61, count: 64) + [0, 0, 1, 0, 1],
         .badLabelType, 12),
        ("label type 0x80", header(qd: 1) + [0x81, 0x61, 0, 0, 1, 0, 1], .badLabelType, 12),
        ("256-byte name", header(qd: 1) + label63 + label63 + label63 + label63 + [0, 0, 1, 0, 1], .nameTooLong, 12),
        // Question 1 is 3 × 63-byte labels (193 bytes); question 2 puts two more in front of a
        // pointer to it: 128 + 193 = 321 bytes.
        ("256-byte name through a pointer", header(qd: 2) + label63 + label63 + label63 + [0, 0, 1, 0, 1]
            + label63 + label63 + [0xC0, 12, 0, 1, 0, 1], .nameTooLong, 209),
        ("trailing data", header() + [0], .trailingData, 12),
        ("over 65535 bytes", header() + [UInt8](repeating: 0, count: 65536 - 12), .messageTooLarge, 65535),
        ("OPT in the answer section", header(an: 1) + [0] + fixed(41, 0), .invalidOPT, 13),
        ("two OPT records", header(ar: 2) + [0] + fixed(41, 0) + [0] + fixed(41, 0), .invalidOPT, 24),
        ("OPT owned by a name other than the root", header(ar: 1) + [1, 0x61, 0] + fixed(41, 0), .invalidOPT, 12),
    ]

    @Test("malformed message", arguments: cases)
    func malformed(_ label: String, _ bytes: [UInt8], _ code: DNSError.Code, _ offset: Int) {
        let error = dnsError { _ = try DNSMessage(decoding: bytes) }
        #expect(error?.code == code, "\(label): \(String(describing: error))")
        #expect(error?.offset == offset, "\(label): \(String(describing: error))")
        #expect(error?.message.contains("offset \(offset)") == true, "\(label): \(String(describing: error))")
    }

    @Test("error messages name the field, the entry and the offset")
    func messages() {
        let error = dnsError { _ = try DNSMessage(decoding: header(an: 1) + [0] + fixed(1, 5) + [1, 2, 3, 4, 5]) }
        #expect(error?.message == "RDLENGTH of answer 1 (A) at offset 21: RDLENGTH is 5 but the RDATA has 4 bytes")
        let loop = dnsError { _ = try DNSMessage(decoding: header(qd: 1) + [0xC0, 12, 0, 1, 0, 1]) }
        #expect(loop?.message == "QNAME of question 1 at offset 12: compression pointer points to itself")
        #expect(loop?.description == "DNS pointerLoop: QNAME of question 1 at offset 12: compression pointer points to itself")
    }

    @Test("compressed names in RDATA are accepted when they point backwards (RFC 3597 §4)")
    func compressedRDATA() throws {
        // An SRV answer whose target is a pointer to the question name at offset 12.
        let bytes = header(qd: 1, an: 1) + [1, 0x61, 2, 0x76, 0x69, 0, 0, 33, 0, 1]
            + [0xC0, 12] + fixed(33, 8) + [0, 1, 0, 2, 0, 3, 0xC0, 14]
        let message = try DNSMessage(decoding: bytes)
        #expect(message.answers[0].data == .srv(DNSSRV(priority: 1, weight: 2, port: 3, target: name("vi"))))
    }
}
