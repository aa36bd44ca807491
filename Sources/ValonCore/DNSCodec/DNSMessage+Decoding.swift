extension DNSMessage {
    /// The smallest wire size of a question (root name, QTYPE, QCLASS) and of a record
    /// (root name, TYPE, CLASS, TTL, RDLENGTH), to bound what a header's counts may reserve.
    private static let minimumQuestionSize = 5
    private static let minimumRecordSize = 11

    /// Decodes a message strictly (RFC 1035 §4.1).
    ///
    /// Every problem is a ``DNSError`` naming the field, the entry and the byte offset:
    /// a message that ends inside a field (``DNSError/Code/truncated``), fewer entries than
    /// the header counts (``DNSError/Code/countMismatch``), bytes after the last entry
    /// (``DNSError/Code/trailingData``), an RDLENGTH that runs past the message or does not
    /// match the RDATA of a known type (``DNSError/Code/badRDLength``), a compression
    /// pointer that does not point strictly backwards (``DNSError/Code/badPointer``,
    /// ``DNSError/Code/pointerLoop``), names over 255 bytes (``DNSError/Code/nameTooLong``),
    /// label types 0x40 and 0x80, which is also how a 64-byte label shows on the wire
    /// (``DNSError/Code/badLabelType``), a TXT record without strings
    /// (``DNSError/Code/invalidRecord``), an OPT record that breaks RFC 6891 §6.1.1
    /// (``DNSError/Code/invalidOPT``) and input over 65535 bytes
    /// (``DNSError/Code/messageTooLarge``). Any input ends in a value or an error, in time
    /// linear in its length.
    public init(decoding bytes: some Collection<UInt8>) throws(DNSError) {
        var reader = DNSWireReader(bytes: Array(bytes))
        guard reader.remaining <= DNSMessage.maximumSize else {
            throw DNSError(.messageTooLarge, "the message is \(reader.remaining) bytes, more than the 65535 of a DNS "
                           + "message (RFC 1035 §4.2.2): it runs on past offset 65535", offset: DNSMessage.maximumSize)
        }
        guard reader.remaining >= 12 else {
            throw DNSError(.truncated, "header at offset 0: the message is \(reader.remaining) bytes, "
                           + "shorter than the 12-byte header (RFC 1035 §4.1.1)", offset: 0)
        }
        let id = try reader.readUInt16("ID")
        let flags = try reader.readUInt16("flags")
        let questionCount = Int(try reader.readUInt16("QDCOUNT"))
        let answerCount = Int(try reader.readUInt16("ANCOUNT"))
        let authorityCount = Int(try reader.readUInt16("NSCOUNT"))
        let additionalCount = Int(try reader.readUInt16("ARCOUNT"))

        reader.section = .question
        var questions = [DNSQuestion]()
        questions.reserveCapacity(min(questionCount, reader.remaining / Self.minimumQuestionSize))
        for index in 0..<questionCount {
            try Self.checkCount(questionCount, "QDCOUNT", index: index, reader: &reader)
            questions.append(DNSQuestion(
                name: try reader.readName("QNAME"),
                type: DNSRecordType(rawValue: try reader.readUInt16("QTYPE")),
                dnsClass: DNSClass(rawValue: try reader.readUInt16("QCLASS"))
            ))
        }

        var sawOPT = false
        func records(_ section: DNSWireReader.Section, _ count: Int, _ field: String) throws(DNSError) -> [DNSResourceRecord] {
            reader.section = section
            var records = [DNSResourceRecord]()
            records.reserveCapacity(min(count, reader.remaining / Self.minimumRecordSize))
            for index in 0..<count {
                try Self.checkCount(count, field, index: index, reader: &reader)
                records.append(try Self.readRecord(&reader, sawOPT: &sawOPT))
            }
            return records
        }
        let answers = try records(.answer, answerCount, "ANCOUNT")
        let authorities = try records(.authority, authorityCount, "NSCOUNT")
        let additionals = try records(.additional, additionalCount, "ARCOUNT")

        guard reader.isAtEnd else {
            throw DNSError(.trailingData, "\(reader.remaining) bytes at offset \(reader.position) follow the last "
                           + "entry the header counts", offset: reader.position)
        }
        self.init(
            header: DNSHeader(id: id, flags: flags), questions: questions,
            answers: answers, authorities: authorities, additionals: additionals
        )
    }

    /// Starts entry `index` (0-based) of a section, and refuses a count larger than the data.
    private static func checkCount(_ count: Int, _ field: String, index: Int, reader: inout DNSWireReader) throws(DNSError) {
        reader.index = index + 1
        reader.type = nil
        guard !reader.isAtEnd else {
            let section = reader.section
            throw DNSError(.countMismatch, "\(field) is \(count) but the message ends at offset \(reader.position) "
                           + "after \(index) \(section) entr\(index == 1 ? "y" : "ies")", offset: reader.position)
        }
    }

    /// Reads one resource record (RFC 1035 §4.1.3).
    private static func readRecord(_ reader: inout DNSWireReader, sawOPT: inout Bool) throws(DNSError) -> DNSResourceRecord {
        let nameOffset = reader.position
        let name = try reader.readName("NAME")
        let typeOffset = reader.position
        let type = DNSRecordType(rawValue: try reader.readUInt16("TYPE"))
        reader.type = type
        if type == .opt {
            try checkOPT(name: name, nameOffset: nameOffset, typeOffset: typeOffset, seenBefore: sawOPT, reader: reader)
            sawOPT = true
        }
        let dnsClass = DNSClass(rawValue: try reader.readUInt16("CLASS"))
        let ttl = try reader.readUInt32("TTL")
        let length = Int(try reader.readUInt16("RDLENGTH"))
        let data = try reader.readRDATA(length: length) { (reader: inout DNSWireReader) throws(DNSError) in
            try DNSRecordData.decode(type: type, dnsClass: dnsClass, length: length, from: &reader)
        }
        return DNSResourceRecord(name: name, dnsClass: dnsClass, ttl: ttl, data: data)
    }

    /// RFC 6891 §6.1.1: one OPT at most, in the additional section, owned by the root.
    private static func checkOPT(
        name: DNSName, nameOffset: Int, typeOffset: Int, seenBefore: Bool, reader: DNSWireReader
    ) throws(DNSError) {
        guard reader.section == .additional else {
            throw reader.error(.invalidOPT, "TYPE", at: typeOffset,
                               "an OPT record may only appear in the additional section (RFC 6891 §6.1.1)")
        }
        guard !seenBefore else {
            throw reader.error(.invalidOPT, "TYPE", at: typeOffset,
                               "a second OPT record; a message carries at most one (RFC 6891 §6.1.1)")
        }
        guard name.isRoot else {
            throw reader.error(.invalidOPT, "NAME", at: nameOffset,
                               "the OPT record's owner is \(name), not the root (RFC 6891 §6.1.2)")
        }
    }
}
