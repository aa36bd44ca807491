/// DNS NOTIFY (RFC 1996): the message a primary sends to say that a zone changed, the
/// response that acknowledges it, and the checks a receiver applies to an incoming one.
///
/// A NOTIFY request (RFC 1996 §3.7) has OPCODE NOTIFY, AA set, QR clear, one question
/// `<zone> IN SOA`, and may carry the zone's new SOA in its answer section as a hint
/// (RFC 1996 §3.7: "the answer section may contain the SOA of the zone"). Its response
/// (RFC 1996 §4.7) is the request with QR set, the same ID and the question echoed.
public enum DNSNotify {
    /// A NOTIFY request for `zone` (RFC 1996 §3.7): `id`, OPCODE NOTIFY, AA, the question
    /// `<zone> IN SOA`, and `soa` (the zone's SOA record at the new serial) in the answer
    /// section when given. No EDNS: the message is small and every receiver takes it.
    public static func request(id: UInt16, zone: DNSName, soa: DNSResourceRecord? = nil) -> DNSMessage {
        DNSMessage(
            header: DNSHeader(id: id, opcode: .notify, isAuthoritative: true),
            questions: [DNSQuestion(name: zone, type: .soa)],
            answers: soa.map { [$0] } ?? [])
    }

    /// The response to `request` (RFC 1996 §4.7): the same ID, QR set, the request's OPCODE
    /// (NOTIFY; another one is echoed as RFC 1035 §4.1.1 has it, with NOTIMP), AA as the
    /// request had it, its question echoed, `rcode` (NOERROR when the NOTIFY was taken;
    /// REFUSED, FORMERR or NOTIMP otherwise) and no answer.
    public static func response(to request: DNSMessage, rcode: DNSResponseCode = .noError) -> DNSMessage {
        DNSMessage(
            header: DNSHeader(id: request.header.id, isResponse: true, opcode: request.header.opcode,
                              isAuthoritative: request.header.isAuthoritative,
                              responseCode: DNSResponseCode(rawValue: rcode.rawValue & 0x0F)),
            questions: request.questions)
    }

    /// A NOTIFY request that passed ``check(_:zone:)``.
    public struct Request: Hashable, Sendable {
        /// The request's ID, for the response.
        public var id: UInt16
        /// The new serial, when the answer section carried the zone's SOA (RFC 1996 §3.7).
        public var serial: UInt32?

        public init(id: UInt16, serial: UInt32?) {
            self.id = id
            self.serial = serial
        }
    }

    /// Why a message is not a NOTIFY request for the zone, and what RFC 1996 has the
    /// receiver do about it.
    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        /// QR is set: a response, never answered (answering responses makes loops).
        case isResponse
        /// OPCODE is not NOTIFY (answered NOTIMP).
        case notNotify(DNSOpcode)
        /// QDCOUNT is not 1 (answered FORMERR; RFC 1996 §3.7 has exactly one question).
        case questionCount(Int)
        /// The question is not `IN SOA` (answered FORMERR; RFC 1996 §3.7: QTYPE SOA, the
        /// only NOTIFY defined).
        case notSOA(DNSClass, DNSRecordType)
        /// The question names another zone (answered REFUSED: not a zone this receiver follows).
        case otherZone(DNSName)

        /// The response code the receiver answers with, or `nil` for no answer at all.
        public var rcode: DNSResponseCode? {
            switch self {
            case .isResponse: nil
            case .notNotify: .notImp
            case .questionCount, .notSOA: .formErr
            case .otherZone: .refused
            }
        }

        public var description: String {
            switch self {
            case .isResponse: "the message is a response (QR set), not a NOTIFY request"
            case .notNotify(let opcode): "OPCODE is \(opcode), not NOTIFY (RFC 1996 §3.7)"
            case .questionCount(let count): "the message has \(count) questions; a NOTIFY has exactly one (RFC 1996 §3.7)"
            case .notSOA(let dnsClass, let type): "the question is \(dnsClass) \(type), not IN SOA (RFC 1996 §3.7)"
            case .otherZone(let name): "the NOTIFY is for \(name), not for the zone followed here"
            }
        }
    }

    /// Checks that `message` is a NOTIFY request for `zone` (compared ignoring case,
    /// RFC 4343): QR clear, OPCODE NOTIFY, one question of class IN and type SOA naming
    /// `zone`. The serial is taken from the first SOA record in the answer section owned by
    /// `zone`; an answer section without one is no error (it is optional, RFC 1996 §3.7).
    public static func check(_ message: DNSMessage, zone: DNSName) -> Result<Request, Problem> {
        let header = message.header
        if header.isResponse { return .failure(.isResponse) }
        if header.opcode != .notify { return .failure(.notNotify(header.opcode)) }
        guard message.questions.count == 1 else { return .failure(.questionCount(message.questions.count)) }
        let question = message.questions[0]
        guard question.dnsClass == .in, question.type == .soa else {
            return .failure(.notSOA(question.dnsClass, question.type))
        }
        guard question.name == zone else { return .failure(.otherZone(question.name)) }
        var serial: UInt32?
        for record in message.answers where record.name == zone {
            if case .soa(let soa) = record.data {
                serial = soa.serial
                break
            }
        }
        return .success(Request(id: header.id, serial: serial))
    }

    /// Whether `serial` is newer than `other` in serial number arithmetic (RFC 1982 §3.2):
    /// ahead by less than 2^31. Two serials exactly 2^31 apart are neither.
    public static func serial(_ serial: UInt32, isNewerThan other: UInt32) -> Bool {
        let difference = serial &- other
        return difference != 0 && difference < 0x8000_0000
    }
}
