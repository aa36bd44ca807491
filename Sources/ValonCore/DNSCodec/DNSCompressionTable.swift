/// Where the name suffixes already written to a message start (RFC 1035 §4.1.4), for
/// the encoder to point back to. Suffixes compare ignoring ASCII case (RFC 4343).
///
/// A typical answer writes a dozen suffixes, for which a linear scan that first compares
/// lengths beats hashing; past ``linearLimit`` entries (zone transfers, large answers)
/// the table moves to a dictionary.
struct DNSCompressionTable {
    /// The most entries kept in the linear list.
    static let linearLimit = 24

    private var entries: [(suffix: ArraySlice<UInt8>, offset: UInt16)] = []
    private var index: [NameSuffix: UInt16]?

    init() {
        entries.reserveCapacity(Self.linearLimit)
    }

    /// The offset of an earlier occurrence of `suffix` (wire form without the root byte).
    func offset(of suffix: ArraySlice<UInt8>) -> UInt16? {
        if let index { return index[NameSuffix(suffix)] }
        for entry in entries where entry.suffix.count == suffix.count && DNSName.equalFoldingCase(entry.suffix, suffix) {
            return entry.offset
        }
        return nil
    }

    /// Records that `suffix` starts at `offset`; the caller has checked it is not present.
    mutating func insert(_ suffix: ArraySlice<UInt8>, at offset: UInt16) {
        if index != nil {
            index?[NameSuffix(suffix)] = offset
            return
        }
        entries.append((suffix, offset))
        if entries.count > Self.linearLimit {
            var index = [NameSuffix: UInt16](minimumCapacity: 4 * Self.linearLimit)
            for entry in entries { index[NameSuffix(entry.suffix)] = entry.offset }
            self.index = index
            entries = []
        }
    }

    /// Forgets the suffixes written at `offset` or later.
    mutating func removeEntries(from offset: Int) {
        if let index {
            self.index = index.filter { Int($0.value) < offset }
        } else {
            entries.removeAll { Int($0.offset) >= offset }
        }
    }
}

/// A name suffix in wire form (labels from some label to the root), compared and hashed
/// ignoring ASCII case, as a dictionary key. It shares the name's storage.
struct NameSuffix: Hashable {
    let bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    static func == (lhs: NameSuffix, rhs: NameSuffix) -> Bool {
        DNSName.equalFoldingCase(lhs.bytes, rhs.bytes)
    }

    /// Folds the case-folded bytes with FNV-1a first and gives the hasher one word: feeding
    /// it byte by byte costs more than the rest of the encoder.
    func hash(into hasher: inout Hasher) {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { value = (value ^ UInt64(DNSName.foldCase(byte))) &* 0x0000_0100_0000_01B3 }
        hasher.combine(value)
    }
}
