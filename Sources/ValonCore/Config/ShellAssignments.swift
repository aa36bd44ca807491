/// Reads `KEY=value` files written to be `source`d by a shell, as the original VALON client
/// scripts' `/etc/valon/client.conf` is: comments (`#`), blank lines, an optional `export`,
/// values unquoted, in `"double quotes"` (backslash escapes `\" \\ \$ \``) or in
/// `'single quotes'`, and `$NAME` / `${NAME}` expansion of keys assigned earlier in the file
/// (in unquoted and double-quoted values, as the shell does). Command substitution and
/// other shell features are refused rather than silently misread.
public enum ShellAssignments {
    public struct Assignment: Hashable, Sendable {
        public var key: String
        public var value: String
        public var line: Int
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> [Assignment] {
        var result = [Assignment]()
        var known = [String: String]()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") || line.hasPrefix("export\t") {
                line = line.dropFirst(7).drop { $0 == " " || $0 == "\t" }
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigError(.syntax, file: file, line: lineNumber, "expected KEY=value, found \"\(line.prefix(40))\"")
            }
            let key = String(line[..<equals])
            guard isName(key) else {
                throw ConfigError(.syntax, file: file, line: lineNumber, "\"\(key.prefix(40))\" is not a valid variable name")
            }
            let value = try parseValue(line[line.index(after: equals)...], known: known, file: file, line: lineNumber, key: key)
            known[key] = value
            result.append(Assignment(key: key, value: value, line: lineNumber))
        }
        return result
    }

    static func isName(_ text: String) -> Bool {
        guard let first = text.utf8.first, first == 95 || (65...90).contains(first) || (97...122).contains(first) else {
            return false
        }
        return text.utf8.allSatisfy { $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
    }

    private static func parseValue(
        _ text: Substring, known: [String: String], file: String, line: Int, key: String
    ) throws(ConfigError) -> String {
        var output = ""
        var index = text.startIndex
        func fail(_ message: String) -> ConfigError {
            ConfigError(.syntax, file: file, line: line, key: key, message)
        }
        func expand(at start: String.Index) throws(ConfigError) -> (String, String.Index) {
            // `start` points just past "$".
            var cursor = start
            if cursor < text.endIndex, text[cursor] == "{" {
                guard let close = text[cursor...].firstIndex(of: "}") else { throw fail("unterminated ${") }
                let name = String(text[text.index(after: cursor)..<close])
                guard isName(name) else { throw fail("unsupported expansion ${\(name)}") }
                return (known[name] ?? "", text.index(after: close))
            }
            if cursor < text.endIndex, text[cursor] == "(" { throw fail("command substitution $( ) is not supported") }
            var name = ""
            while cursor < text.endIndex, let ascii = text[cursor].asciiValue,
                  ascii == 95 || (48...57).contains(ascii) || (65...90).contains(ascii) || (97...122).contains(ascii) {
                name.append(text[cursor])
                cursor = text.index(after: cursor)
            }
            if name.isEmpty { return ("$", cursor) }
            return (known[name] ?? "", cursor)
        }

        while index < text.endIndex {
            let character = text[index]
            switch character {
            case " ", "\t":
                // Unquoted white space ends the value; only a comment may follow.
                let rest = text[index...].drop { $0 == " " || $0 == "\t" }
                guard rest.isEmpty || rest.hasPrefix("#") else {
                    throw fail("unquoted white space in value; quote it: \(key)=\"…\"")
                }
                return output
            case "'":
                guard let close = text[text.index(after: index)...].firstIndex(of: "'") else {
                    throw fail("unterminated single quote")
                }
                output += text[text.index(after: index)..<close]
                index = text.index(after: close)
            case "\"":
                index = text.index(after: index)
                var closed = false
                while index < text.endIndex {
                    let inner = text[index]
                    if inner == "\"" { closed = true; index = text.index(after: index); break }
                    if inner == "\\" {
                        let next = text.index(after: index)
                        if next < text.endIndex, "\"\\$`".contains(text[next]) {
                            output.append(text[next])
                            index = text.index(after: next)
                        } else {
                            output.append("\\")
                            index = next
                        }
                    } else if inner == "$" {
                        let (value, after) = try expand(at: text.index(after: index))
                        output += value
                        index = after
                    } else if inner == "`" {
                        throw fail("command substitution ` ` is not supported")
                    } else {
                        output.append(inner)
                        index = text.index(after: index)
                    }
                }
                guard closed else { throw fail("unterminated double quote") }
            case "\\":
                let next = text.index(after: index)
                guard next < text.endIndex else { throw fail("a trailing backslash") }
                output.append(text[next])
                index = text.index(after: next)
            case "$":
                let (value, after) = try expand(at: text.index(after: index))
                output += value
                index = after
            case "`", ";", "&", "|", "<", ">", "(", ")":
                throw fail("shell syntax '\(character)' is not supported in a value; quote it")
            default:
                output.append(character)
                index = text.index(after: index)
            }
        }
        return output
    }
}
