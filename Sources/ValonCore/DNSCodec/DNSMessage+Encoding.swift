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
    ///   ``DNSError/Code/invalidOPT`` for an OPT record outside the additional section, a
    ///   second one or one not owned by the root, ``DNSError/Code/invalidHeader`` for a
    ///   header RCODE above 15, and ``DNSError/Code/invalidRecord`` for RDATA that has no
    ///   wire form.
    public func encoded(compress: Bool = true) throws(DNSError) -> [UInt8] {
        var writer = try startEncoding(compress: compress)
        for (index, record) in answers.enumerated() { try record.encode(into: &writer, section: "answer", index: index) }
        for (index, record) in authorities.enumerated() { try record.encode(into: &writer, section: "authority", index: index) }
        for (index, record) in additionals.enumerated() { try record.encode(into: &writer, section: "additional", index: index) }
        guard writer.bytes.count <= Self.maximumSize else {
            throw DNSError(.messageTooLarge, "the message would be \(writer.bytes.count) bytes; at most 65535 (RFC 1035 §4.2.2)")
        }
        return writer.bytes
    }

    /// Checks what has no wire form, then writes the header (with the full counts) and the
    /// question section.
    func startEncoding(compress: Bool) throws(DNSError) -> DNSWireWriter {
        guard header.responseCode.rawValue <= 0x0F else {
            throw DNSError(.invalidHeader, "RCODE \(header.responseCode) does not fit the header's 4 bits; "
                           + "set DNSMessage.responseCode to keep the upper bits in the OPT record (RFC 6891 §6.1.3)")
        }
        try checkOPT()
        var writer = DNSWireWriter(compress: compress)
        writer.writeUInt16(header.id)
        writer.writeUInt16(header.flags)
        try writer.writeCount(questions.count, "QDCOUNT")
        try writer.writeCount(answers.count, "ANCOUNT")
        try writer.writeCount(authorities.count, "NSCOUNT")
        try writer.writeCount(additionals.count, "ARCOUNT")
        for question in questions {
            writer.writeName(question.name, compressible: true)
            writer.writeUInt16(question.type.rawValue)
            writer.writeUInt16(question.dnsClass.rawValue)
        }
        return writer
    }

    /// RFC 6891 §6.1.1: at most one OPT record, in the additional section, owned by the root.
    private func checkOPT() throws(DNSError) {
        if let index = answers.firstIndex(where: { $0.type == .opt }) {
            throw DNSError(.invalidOPT, "answer \(index + 1) is an OPT record; OPT belongs in the additional section (RFC 6891 §6.1.1)")
        }
        if let index = authorities.firstIndex(where: { $0.type == .opt }) {
            throw DNSError(.invalidOPT, "authority \(index + 1) is an OPT record; OPT belongs in the additional section "
                           + "(RFC 6891 §6.1.1)")
        }
        var seen = false
        for (index, record) in additionals.enumerated() where record.type == .opt {
            guard !seen else {
                throw DNSError(.invalidOPT, "additional \(index + 1) is a second OPT record; a message has at most one "
                               + "(RFC 6891 §6.1.1)")
            }
            guard record.name.isRoot else {
                throw DNSError(.invalidOPT, "the OPT record's owner is \(record.name), not the root (RFC 6891 §6.1.2)")
            }
            seen = true
        }
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
