/// A writer for the Prometheus text exposition format 0.0.4: `# HELP` and `# TYPE` lines
/// per metric family, then one `name{label="value"} value` line per sample, with label
/// values escaped (`\\`, `\"`, `\n`) and HELP text escaped (`\\`, `\n`).
struct PrometheusText {
    private(set) var output = ""

    mutating func family(_ name: String, type: String, help: String) {
        output += "# HELP \(name) \(Self.escape(help, quotes: false))\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, labels: [(String, String)] = [], value: String) {
        output += name
        if !labels.isEmpty {
            output += "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1, quotes: true))\"" }.joined(separator: ",") + "}"
        }
        output += " \(value)\n"
    }

    static func escape(_ text: String, quotes: Bool) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\"" where quotes: result += "\\\""
            default: result.append(character)
            }
        }
        return result
    }
}
