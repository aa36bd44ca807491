/// The presentation format of names (RFC 1035 §5.1, RFC 4343 §2.1): labels separated by
/// dots, `\X` for a literal character and `\DDD` for a byte in decimal.
extension DNSName: CustomStringConvertible, CustomDebugStringConvertible {
    /// Parses `www.example.com.` or `www.example.com` (both absolute), `.` for the root.
    ///
    /// `\.` puts a dot inside a label, `\\` a backslash, `\DDD` the byte DDD (000–255).
    /// Other bytes, including non-ASCII UTF-8, are taken as they are.
    ///
    /// - Throws: ``DNSError/Code/invalidName`` for an empty string, an empty label (`a..b`,
    ///   `.a`) or a bad escape; ``DNSError/Code/labelTooLong`` and
    ///   ``DNSError/Code/nameTooLong`` for the RFC 1035 §2.3.4 limits.
    public init(_ text: String) throws(DNSError) {
        if text == "." {
            self = .root
            return
        }
        guard !text.isEmpty else { throw DNSError(.invalidName, "empty name; the root is \".\"") }
        var storage = [UInt8]()
        var label = [UInt8]()
        var labelIndex = 0
        var bytes = Array(text.utf8)[...]
        while true {
            let (byte, escaped) = try DNSName.nextByte(&bytes, in: text)
            if let byte, escaped || byte != UInt8(ascii: ".") {
                label.append(byte)
                continue
            }
            // A label ends: at an unescaped dot or at the end of the text.
            if byte == nil && label.isEmpty && labelIndex > 0 { break }  // the trailing dot
            guard !label.isEmpty else {
                throw DNSError(.invalidName, "name \"\(text)\" has an empty label \(labelIndex + 1)")
            }
            try DNSName.checkLabel(label.count, index: labelIndex)
            storage.append(UInt8(label.count))
            storage.append(contentsOf: label)
            label.removeAll(keepingCapacity: true)
            labelIndex += 1
            if byte == nil { break }
        }
        try DNSName.checkLength(storage.count)
        self.init(checkedStorage: storage)
    }

    /// Parses one label in presentation format; an unescaped dot is refused.
    static func parseLabel(_ text: String) throws(DNSError) -> [UInt8] {
        var bytes = Array(text.utf8)[...]
        var label = [UInt8]()
        while case let (byte?, escaped) = try nextByte(&bytes, in: text) {
            guard escaped || byte != UInt8(ascii: ".") else {
                throw DNSError(.invalidName, "label \"\(text)\" contains an unescaped dot")
            }
            label.append(byte)
        }
        return label
    }

    /// Reads one byte of presentation text, resolving `\X` and `\DDD`; `nil` at the end.
    private static func nextByte(_ bytes: inout ArraySlice<UInt8>, in text: String) throws(DNSError) -> (UInt8?, escaped: Bool) {
        guard let first = bytes.popFirst() else { return (nil, false) }
        guard first == UInt8(ascii: "\\") else { return (first, false) }
        guard let next = bytes.popFirst() else {
            throw DNSError(.invalidName, "name \"\(text)\" ends with a lone backslash")
        }
        guard isDigit(next) else { return (next, true) }
        guard bytes.count >= 2, let second = bytes.popFirst(), let third = bytes.popFirst(),
              isDigit(second), isDigit(third) else {
            throw DNSError(.invalidName, "name \"\(text)\" has a \\DDD escape without three digits")
        }
        let value = Int(next - 48) * 100 + Int(second - 48) * 10 + Int(third - 48)
        guard value <= 255 else {
            throw DNSError(.invalidName, "name \"\(text)\" has the escape \\\(value), over 255")
        }
        return (UInt8(value), true)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte &- 48 < 10 }

    /// The name with a trailing dot, escaped as BIND and `dig` print it: `\.`, `\\`, `\"`,
    /// `\(`, `\)`, `\;`, `\@`, `\$`, and `\DDD` for bytes outside 0x21–0x7E.
    public var description: String {
        if storage.isEmpty { return "." }
        var text = [UInt8]()
        text.reserveCapacity(storage.count + 1)
        var index = 0
        while index < storage.count {
            let end = index + 1 + Int(storage[index])
            for byte in storage[(index + 1)..<end] { DNSName.appendEscaped(byte, to: &text) }
            text.append(UInt8(ascii: "."))
            index = end
        }
        return String(decoding: text, as: UTF8.self)
    }

    public var debugDescription: String { "DNSName(\(description))" }

    /// Appends `byte` to presentation text, escaped when it must be.
    static func appendEscaped(_ byte: UInt8, to text: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: ";"), UInt8(ascii: "@"), UInt8(ascii: "$"):
            text.append(UInt8(ascii: "\\"))
            text.append(byte)
        case 0x21...0x7E:
            text.append(byte)
        default:
            appendDecimalEscape(byte, to: &text)
        }
    }

    /// Appends `\DDD` for `byte`.
    static func appendDecimalEscape(_ byte: UInt8, to text: inout [UInt8]) {
        text.append(UInt8(ascii: "\\"))
        text.append(48 + byte / 100)
        text.append(48 + byte / 10 % 10)
        text.append(48 + byte % 10)
    }
}
