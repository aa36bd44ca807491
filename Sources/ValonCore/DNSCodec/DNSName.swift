/// A domain name (RFC 1035 §3.1): a sequence of labels, each 1–63 bytes, at most 255 bytes
/// in wire form, ending at the root.
///
/// Labels are raw bytes and keep the case they were written or received with; equality and
/// hashing fold ASCII letters only, as RFC 4343 requires (`WWW.Example.com` equals
/// `www.example.com`, a byte 0xC9 is not folded). ``description`` prints the presentation
/// format with a trailing dot and RFC 4343 §2.1 escapes.
public struct DNSName: Sendable {
    /// The name in uncompressed wire form without the final root byte: each label's length
    /// byte followed by the label (`www.example.com` is `03 www 07 example 03 com`).
    ///
    /// Length bytes are 1–63, so they never fall in `A`–`Z` (0x41–0x5A): case folding the
    /// whole buffer folds exactly the letters in the labels.
    @usableFromInline internal private(set) var storage: [UInt8]

    /// Wraps wire-form storage the caller has already checked (labels 1–63 bytes, at most
    /// 254 bytes of storage).
    @inlinable
    internal init(checkedStorage: [UInt8]) {
        storage = checkedStorage
    }

    /// The root name `.`.
    public static let root = DNSName(checkedStorage: [])

    /// The longest name in wire form, including the final root byte (RFC 1035 §2.3.4).
    public static let maximumWireLength = 255
    /// The longest label (RFC 1035 §2.3.4).
    public static let maximumLabelLength = 63

    /// Builds a name from its labels, most specific first; `[]` is the root.
    ///
    /// - Throws: ``DNSError/Code/invalidName`` for an empty label,
    ///   ``DNSError/Code/labelTooLong`` for a label over 63 bytes and
    ///   ``DNSError/Code/nameTooLong`` when the wire form would exceed 255 bytes.
    public init(labels: [[UInt8]]) throws(DNSError) {
        var storage = [UInt8]()
        storage.reserveCapacity(labels.reduce(0) { $0 + 1 + $1.count })
        for (index, label) in labels.enumerated() {
            try DNSName.checkLabel(label.count, index: index)
            storage.append(UInt8(label.count))
            storage.append(contentsOf: label)
        }
        try DNSName.checkLength(storage.count)
        self.storage = storage
    }

    /// The labels, most specific first; empty for the root.
    public var labels: [[UInt8]] {
        var result = [[UInt8]]()
        var index = 0
        while index < storage.count {
            let end = index + 1 + Int(storage[index])
            result.append(Array(storage[(index + 1)..<end]))
            index = end
        }
        return result
    }

    /// The number of labels (0 for the root).
    public var labelCount: Int {
        var count = 0
        var index = 0
        while index < storage.count {
            index += 1 + Int(storage[index])
            count += 1
        }
        return count
    }

    /// Whether this is the root name.
    public var isRoot: Bool { storage.isEmpty }

    /// The length of the uncompressed wire form, including the final root byte.
    public var wireLength: Int { storage.count + 1 }

    /// The uncompressed wire form (RFC 1035 §3.1), ending with the root byte.
    public var wireBytes: [UInt8] { storage + [0] }

    /// The name without its first label, or `nil` for the root.
    public var parent: DNSName? {
        guard let first = storage.first else { return nil }
        return DNSName(checkedStorage: Array(storage[(1 + Int(first))...]))
    }

    /// Whether this name is `other` or below it, comparing case-insensitively (RFC 4343).
    /// Every name is a subdomain of the root and of itself.
    public func isSubdomain(of other: DNSName) -> Bool {
        let suffixStart = storage.count - other.storage.count
        guard suffixStart >= 0 else { return false }
        // The suffix must start on a label boundary.
        var index = 0
        while index < suffixStart { index += 1 + Int(storage[index]) }
        guard index == suffixStart else { return false }
        return DNSName.equalFoldingCase(storage[suffixStart...], other.storage[...])
    }

    /// The name with `label` (presentation format: `\.` and `\DDD` escapes allowed) in front.
    public func prepending(_ label: String) throws(DNSError) -> DNSName {
        let bytes = try DNSName.parseLabel(label)
        return try prepending(label: bytes)
    }

    /// The name with the raw `label` bytes in front.
    public func prepending(label: [UInt8]) throws(DNSError) -> DNSName {
        try DNSName.checkLabel(label.count, index: 0)
        try DNSName.checkLength(storage.count + 1 + label.count)
        return DNSName(checkedStorage: [UInt8(label.count)] + label + storage)
    }

    /// This name with ASCII letters in lower case (RFC 4343 §3), for a canonical form.
    public func lowercased() -> DNSName {
        DNSName(checkedStorage: storage.map(DNSName.foldCase))
    }

    // MARK: - Checks shared by the constructors and the wire decoder

    static func checkLabel(_ length: Int, index: Int) throws(DNSError) {
        guard length > 0 else {
            throw DNSError(.invalidName, "label \(index + 1) is empty; only the root has an empty label")
        }
        guard length <= maximumLabelLength else {
            throw DNSError(.labelTooLong, "label \(index + 1) is \(length) bytes; a label has at most 63 (RFC 1035 §2.3.4)")
        }
    }

    static func checkLength(_ storageCount: Int) throws(DNSError) {
        guard storageCount + 1 <= maximumWireLength else {
            throw DNSError(.nameTooLong, "name is \(storageCount + 1) bytes in wire form; a name has at most 255 (RFC 1035 §2.3.4)")
        }
    }

    @inlinable
    static func foldCase(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    @inlinable
    static func equalFoldingCase(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var l = lhs.startIndex, r = rhs.startIndex
        while l < lhs.endIndex {
            if lhs[l] != rhs[r] && foldCase(lhs[l]) != foldCase(rhs[r]) { return false }
            l += 1
            r += 1
        }
        return true
    }
}

extension DNSName: Hashable {
    /// ASCII case-insensitive equality (RFC 4343 §3).
    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        equalFoldingCase(lhs.storage[...], rhs.storage[...])
    }

    /// Hashes the case-folded wire form, consistent with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(NameSuffix(storage[...]))
    }
}

extension DNSName {
    /// Whether both names have the same bytes, case included (``==(_:_:)`` ignores case).
    public func isIdentical(to other: DNSName) -> Bool { storage == other.storage }
}
