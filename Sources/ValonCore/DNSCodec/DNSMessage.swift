/// A DNS message (RFC 1035 §4.1): the header, then the question, answer, authority and
/// additional sections.
///
/// The wire form is read with ``init(decoding:)`` (a strict decoder, see
/// `DNSMessage+Decoding.swift`) and written with ``encoded(compress:)``.
public struct DNSMessage: Hashable, Sendable {
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [DNSResourceRecord]
    public var authorities: [DNSResourceRecord]
    /// Additional records, including the OPT pseudo-record if there is one (see ``edns``).
    public var additionals: [DNSResourceRecord]

    public init(
        header: DNSHeader = DNSHeader(), questions: [DNSQuestion] = [], answers: [DNSResourceRecord] = [],
        authorities: [DNSResourceRecord] = [], additionals: [DNSResourceRecord] = []
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
    }

    /// A query for `name` and `type` in class IN, with EDNS(0) unless `edns` is `nil`.
    public static func query(
        id: UInt16, name: DNSName, type: DNSRecordType, recursionDesired: Bool = false,
        edns: DNSEDNS? = DNSEDNS()
    ) -> DNSMessage {
        var message = DNSMessage(
            header: DNSHeader(id: id, recursionDesired: recursionDesired),
            questions: [DNSQuestion(name: name, type: type)]
        )
        message.edns = edns
        return message
    }

    /// The EDNS(0) fields of the OPT record in the additional section (RFC 6891 §6.1.1).
    ///
    /// Setting a value replaces the OPT record in place, or appends one at the end of the
    /// additional section (where RFC 8945 §5.1 and RFC 2931 leave room for TSIG and SIG(0)
    /// only after it); setting `nil` removes it.
    public var edns: DNSEDNS? {
        get {
            guard let index = additionals.firstIndex(where: { $0.type == .opt }) else { return nil }
            return DNSEDNS(record: additionals[index])
        }
        set {
            let index = additionals.firstIndex(where: { $0.type == .opt })
            additionals.removeAll { $0.type == .opt }
            guard let newValue else { return }
            additionals.insert(newValue.record, at: min(index ?? additionals.count, additionals.count))
        }
    }

    /// The full 12-bit response code: the header's 4 bits and, with EDNS, the OPT record's
    /// upper 8 (RFC 6891 §6.1.3).
    ///
    /// Setting a code above 15 needs an OPT record (``edns`` not `nil`): a programmer error
    /// otherwise.
    public var responseCode: DNSResponseCode {
        get {
            let high = UInt16(edns?.extendedRCodeHigh ?? 0)
            return DNSResponseCode(rawValue: high << 4 | header.responseCode.rawValue & 0x0F)
        }
        set {
            header.responseCode = DNSResponseCode(rawValue: newValue.rawValue & 0x0F)
            let high = UInt8(truncatingIfNeeded: newValue.rawValue >> 4)
            if var edns {
                edns.extendedRCodeHigh = high
                self.edns = edns
            } else {
                precondition(high == 0, "response code \(newValue) needs an OPT record (RFC 6891 §6.1.3)")
            }
        }
    }
}
