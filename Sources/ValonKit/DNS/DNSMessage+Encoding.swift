extension DNSMessage {
    /// The largest message: TCP frames it with a 16-bit length (RFC 1035 §4.2.2).
    public static let maximumSize = 65535

    /// The wire form (RFC 1035 §4.1), with names compressed as RFC 1035 §4.1.4 describes
    /// unless `compress` is `false`.
    ///
    /// Owner names, question names and the names in NS, CNAME, PTR and SOA RDATA point to
    /// the longest suffix already written (compared ignoring case, the first occurrence
    /// wins); SRV targets and unknown RDATA are never compressed. This is what NSD writes,
    /// so its answers re-encode byte for byte.
    ///
    /// - Throws: ``DNSError/Code/messageTooLarge`` past 65535 bytes or entries,
    ///   ``DNSError/Code/invalidOPT`` for an OPT record outside the additional section or a
    ///   second one, ``DNSError/Code/invalidHeader`` for a header RCODE above 15, and
    ///   ``DNSError/Code/invalidRecord`` for RDATA that has no wire form.
    public func encoded(compress: Bool = true) throws(DNSError) -> [UInt8] {
        guard header.responseCode.rawValue <= 0x0F else {
            throw DNSError(.invalidHeader, "RCODE \(header.responseCode) does not fit the header's 4 bits; "
                           + "set DNSMessage.responseCode to keep the upper bits in the OPT record (RFC 6891 §6.1.3)")
        }
        var writer = DNSWireWriter(compress: compress)
        writer.writeUInt16(header.id)
        writer.writeUInt16(header.flags)
        for (count, field) in [(questions.count, "QDCOUNT"), (answers.count, "ANCOUNT"),
                               (authorities.count, "NSCOUNT"), (additionals.count, "ARCOUNT")] {
            guard count <= Int(UInt16.max) else {
                throw DNSError(.messageTooLarge, "\(field) would be \(count); the field holds at most 65535")
            }
            writer.writeUInt16(UInt16(count))
        }
        for question in questions {
            writer.writeName(question.name, compressible: true)
            writer.writeUInt16(question.type.rawValue)
            writer.writeUInt16(question.dnsClass.rawValue)
        }
        var sawOPT = false
        for (section, records) in [("answer", answers), ("authority", authorities), ("additional", additionals)] {
            for (index, record) in records.enumerated() {
                if record.type == .opt {
                    guard section == "additional", !sawOPT else {
                        throw DNSError(.invalidOPT, "\(section) \(index + 1) is an OPT record; a message has at most one, "
                                       + "in the additional section (RFC 6891 §6.1.1)")
                    }
                    sawOPT = true
                }
                try record.encode(into: &writer, section: section, index: index)
            }
        }
        guard writer.bytes.count <= Self.maximumSize else {
            throw DNSError(.messageTooLarge, "the message would be \(writer.bytes.count) bytes; at most 65535 (RFC 1035 §4.2.2)")
        }
        return writer.bytes
    }
}

extension DNSResourceRecord {
    /// Writes the record (RFC 1035 §4.1.3): RDLENGTH is written, then filled in.
    func encode(into writer: inout DNSWireWriter, section: String, index: Int) throws(DNSError) {
        writer.writeName(name, compressible: true)
        writer.writeUInt16(type.rawValue)
        writer.writeUInt16(dnsClass.rawValue)
        writer.writeUInt32(ttl)
        do {
            try writer.writeLengthPrefixed("RDATA") { (writer: inout DNSWireWriter) throws(DNSError) in
                try data.encode(into: &writer)
            }
        } catch {
            throw DNSError(error.code, "\(section) \(index + 1) (\(type) \(name)): \(error.message)")
        }
    }
}
