/// A message in the layout `dig` prints, for logs and test failure messages.
extension DNSMessage: CustomStringConvertible {
    /// The header line, the EDNS line if there is an OPT record, then each section with
    /// one record per line in presentation format (RFC 1035 §5.1).
    public var description: String {
        let flagNames: [(Bool, String)] = [
            (header.isResponse, "qr"), (header.isAuthoritative, "aa"), (header.isTruncated, "tc"),
            (header.recursionDesired, "rd"), (header.recursionAvailable, "ra"), (header.authenticData, "ad"),
            (header.checkingDisabled, "cd"),
        ]
        let flags = flagNames.filter(\.0).map(\.1).joined(separator: " ")
        var lines = [
            ";; opcode: \(header.opcode), status: \(responseCode), id: \(header.id)",
            ";; flags: \(flags); QUERY: \(questions.count), ANSWER: \(answers.count), "
                + "AUTHORITY: \(authorities.count), ADDITIONAL: \(additionals.count)",
        ]
        if let edns {
            let options = edns.options.map { " \($0.code)" }.joined()
            lines.append(";; EDNS: version: \(edns.version), flags:\(edns.dnssecOK ? " do" : ""); udp: \(edns.udpPayloadSize)"
                         + (options.isEmpty ? "" : "; options:\(options)"))
        }
        lines.append(";; QUESTION SECTION:")
        lines += questions.map { ";\($0)" }
        for (title, records) in [("ANSWER", answers), ("AUTHORITY", authorities), ("ADDITIONAL", additionals)] {
            let shown = records.filter { $0.type != .opt }
            guard !shown.isEmpty else { continue }
            lines.append(";; \(title) SECTION:")
            lines += shown.map(\.description)
        }
        return lines.joined(separator: "\n")
    }
}
