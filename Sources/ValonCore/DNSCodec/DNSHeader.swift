/// The fixed 12-byte message header (RFC 1035 §4.1.1) without its four counts, which the
/// encoder takes from the sections of ``DNSMessage``. AD and CD are from RFC 4035 §3.2.
public struct DNSHeader: Hashable, Sendable {
    /// ID: matches a reply to its query.
    public var id: UInt16
    /// QR: a response (`true`) or a query.
    public var isResponse: Bool
    /// OPCODE: the kind of query.
    public var opcode: DNSOpcode
    /// AA: the responding server is an authority for the name in the question.
    public var isAuthoritative: Bool
    /// TC: the message was truncated to fit the transport; retry over TCP.
    public var isTruncated: Bool
    /// RD: the query asks for recursion.
    public var recursionDesired: Bool
    /// RA: the server offers recursion.
    public var recursionAvailable: Bool
    /// Z: reserved, zero on send (RFC 1035 §4.1.1). Kept so that a message re-encodes
    /// exactly as it was received.
    public var reservedBit: Bool
    /// AD: authentic data (RFC 4035 §3.2.3, RFC 6840 §5.7).
    public var authenticData: Bool
    /// CD: checking disabled (RFC 4035 §3.2.2).
    public var checkingDisabled: Bool
    /// RCODE: the low 4 bits of the response code (RFC 6891 §6.1.3 keeps the rest in OPT).
    public var responseCode: DNSResponseCode

    public init(
        id: UInt16 = 0, isResponse: Bool = false, opcode: DNSOpcode = .query, isAuthoritative: Bool = false,
        isTruncated: Bool = false, recursionDesired: Bool = false, recursionAvailable: Bool = false,
        reservedBit: Bool = false, authenticData: Bool = false, checkingDisabled: Bool = false,
        responseCode: DNSResponseCode = .noError
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.reservedBit = reservedBit
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.responseCode = responseCode
    }

    /// The 16 flag bits of the second header word: QR, OPCODE, AA, TC, RD, RA, Z, AD, CD,
    /// RCODE, from the most significant bit down.
    public var flags: UInt16 {
        var flags = UInt16(opcode.rawValue) << 11 | responseCode.rawValue & 0x0F
        if isResponse { flags |= 0x8000 }
        if isAuthoritative { flags |= 0x0400 }
        if isTruncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        if reservedBit { flags |= 0x0040 }
        if authenticData { flags |= 0x0020 }
        if checkingDisabled { flags |= 0x0010 }
        return flags
    }

    /// Reads the header from its ID and flags word.
    public init(id: UInt16, flags: UInt16) {
        self.init(
            id: id, isResponse: flags & 0x8000 != 0, opcode: DNSOpcode(rawValue: UInt8(flags >> 11 & 0x0F)),
            isAuthoritative: flags & 0x0400 != 0, isTruncated: flags & 0x0200 != 0,
            recursionDesired: flags & 0x0100 != 0, recursionAvailable: flags & 0x0080 != 0,
            reservedBit: flags & 0x0040 != 0, authenticData: flags & 0x0020 != 0,
            checkingDisabled: flags & 0x0010 != 0, responseCode: DNSResponseCode(rawValue: flags & 0x0F)
        )
    }
}
