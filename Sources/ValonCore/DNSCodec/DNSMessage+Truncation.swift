extension DNSMessage {
    /// The wire form cut to fit `maximumSize` bytes, for a UDP response: 512 bytes without
    /// EDNS (RFC 1035 §4.2.1), the requestor's UDP payload size with it (RFC 6891 §6.2.5).
    ///
    /// Records are kept whole RRset by RRset (consecutive records with the same owner, type
    /// and class), in order. An answer or authority RRset that does not fit is left out with
    /// everything after it, and TC is set; an additional RRset that does not fit is left out
    /// without TC (RFC 2181 §9) and later, smaller ones still go in. The OPT record is always
    /// kept, written last (RFC 6891 §7). The counts in the header are those of the records
    /// written. NSD truncates its UDP answers the same way, byte for byte.
    ///
    /// - Throws: what ``encoded(compress:)`` throws, and ``DNSError/Code/messageTooLarge``
    ///   when the header, the questions and the OPT record alone exceed `maximumSize`.
    public func encoded(compress: Bool = true, maximumSize: Int) throws(DNSError) -> [UInt8] {
        var writer = try startEncoding(compress: compress)
        let opt = additionals.firstIndex { $0.type == .opt }.map { (index: $0, record: additionals[$0]) }
        var optWriter = DNSWireWriter(compress: false)
        if let opt { try opt.record.encode(into: &optWriter, section: "additional", index: opt.index) }
        let budget = min(maximumSize, Self.maximumSize) - optWriter.bytes.count
        guard writer.bytes.count <= budget else {
            throw DNSError(.messageTooLarge, "the header, questions and OPT record take \(writer.bytes.count + optWriter.bytes.count) "
                           + "bytes, more than the \(maximumSize) allowed")
        }

        var truncated = false
        var counts = [0, 0, 0]
        let sections: [(String, [DNSResourceRecord])] = [
            ("answer", answers), ("authority", authorities), ("additional", additionals.filter { $0.type != .opt }),
        ]
        sectionLoop: for (number, (section, records)) in sections.enumerated() {
            var start = 0
            while start < records.count {
                var end = start + 1
                while end < records.count && records[end].isInSameRRset(as: records[start]) { end += 1 }
                let mark = writer.bytes.count
                for index in start..<end { try records[index].encode(into: &writer, section: section, index: index) }
                if writer.bytes.count <= budget {
                    counts[number] += end - start
                } else {
                    writer.truncate(to: mark)
                    guard section == "additional" else {
                        truncated = true
                        break sectionLoop
                    }
                }
                start = end
            }
        }
        if opt != nil {
            writer.writeBytes(optWriter.bytes)
            counts[2] += 1
        }
        for (number, count) in counts.enumerated() { writer.setUInt16(UInt16(count), at: 6 + 2 * number) }
        if truncated {
            var flagged = header
            flagged.isTruncated = true
            writer.setUInt16(flagged.flags, at: 2)
        }
        return writer.bytes
    }
}

extension DNSResourceRecord {
    /// Whether both records belong to one RRset: same owner, type and class (RFC 2181 §5).
    func isInSameRRset(as other: DNSResourceRecord) -> Bool {
        type == other.type && dnsClass == other.dnsClass && name == other.name
    }
}
