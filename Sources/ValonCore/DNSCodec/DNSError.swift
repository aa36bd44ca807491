/// A DNS failure: what went wrong (``code``), a message that names the field and, for wire
/// data, the byte ``offset`` where the codec found it, and the underlying ``cause`` if any.
///
/// The codec throws it for every malformed message; the resolver adds its own codes
/// (time-outs, refusals, network failures) in an extension of ``Code``.
public struct DNSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. An open set: other files add codes as `static let`s.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The message ends inside a field (RFC 1035 §4.1: header, question or record).
        public static let truncated = Code(rawValue: "truncated")
        /// A compression pointer (RFC 1035 §4.1.4) that points forward, past the end of the
        /// message, or after too many pointers in one name.
        public static let badPointer = Code(rawValue: "badPointer")
        /// A compression pointer that points to itself or back into the name being read,
        /// so that following it would never end.
        public static let pointerLoop = Code(rawValue: "pointerLoop")
        /// A label longer than 63 bytes (RFC 1035 §2.3.4).
        public static let labelTooLong = Code(rawValue: "labelTooLong")
        /// A name longer than 255 bytes in wire form (RFC 1035 §2.3.4).
        public static let nameTooLong = Code(rawValue: "nameTooLong")
        /// RDLENGTH disagrees with the RDATA of a known type, or runs past the message.
        public static let badRDLength = Code(rawValue: "badRDLength")
        /// A header count (QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT) larger than the entries present.
        public static let countMismatch = Code(rawValue: "countMismatch")
        /// A label type other than a normal label or a pointer: 0x40 (extended, RFC 6891 §5)
        /// or 0x80 (reserved).
        public static let badLabelType = Code(rawValue: "badLabelType")
        /// Bytes left after the last record the header announced.
        public static let trailingData = Code(rawValue: "trailingData")
        /// A name in presentation format that cannot be a domain name (empty label, bad escape).
        public static let invalidName = Code(rawValue: "invalidName")
        /// RDATA that cannot be encoded or decoded as its type requires (for example a TXT
        /// character-string over 255 bytes, RFC 1035 §3.3).
        public static let invalidRecord = Code(rawValue: "invalidRecord")
        /// An OPT pseudo-record that breaks RFC 6891 §6.1.1: outside the additional section,
        /// more than one, or an owner other than the root.
        public static let invalidOPT = Code(rawValue: "invalidOPT")
        /// A header that cannot be encoded, such as a response code above 15 in the 4-bit
        /// RCODE field (RFC 6891 §6.1.3 puts the upper bits in the OPT record).
        public static let invalidHeader = Code(rawValue: "invalidHeader")
        /// A message that would exceed 65535 bytes, or a section with more than 65535 entries.
        public static let messageTooLarge = Code(rawValue: "messageTooLarge")
    }

    /// The kind of failure.
    public var code: Code
    /// What failed and where, for example `"RDLENGTH 12 of answer 1 (A) at offset 40 ..."`.
    public var message: String
    /// The byte offset in the message where the problem was found, for wire data.
    public var offset: Int?
    /// The underlying error (for example a ``SystemError``), if there is one, kept as the
    /// error itself (as swift-nio's `FileSystemError` keeps its cause).
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, offset: Int? = nil, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
        self.cause = cause
    }

    public var description: String {
        var text = "DNS \(code): \(message)"
        if let cause { text += " (\(cause))" }
        return text
    }

    /// Two errors are equal when code, message, offset and the cause's text are.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.offset == rhs.offset
            && lhs.cause.map { "\($0)" } == rhs.cause.map { "\($0)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(offset)
        hasher.combine(cause.map { "\($0)" })
    }
}
