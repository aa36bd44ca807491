/// A Corefile (CoreDNS's configuration, https://coredns.io/manual/configuration/) parsed
/// into server blocks and directives, so that `valon-discovery` can drop in where the
/// original CoreDNS plugin ran:
///
/// ```
/// valon.internal:53 {
///     valon {
///         etcd_endpoints http://127.0.0.1:2379
///         wg_interface wg0
///     }
///     cache 2
/// }
/// .:53 {
///     forward . 8.8.8.8
/// }
/// ```
/// Tokens are separated by white space; `{` and `}` open and close blocks; `#` starts a
/// comment; `"…"` quotes a token. A directive is the tokens of one line.
public struct Corefile: Hashable, Sendable {
    public struct Directive: Hashable, Sendable {
        public var name: String
        public var arguments: [String]
        public var line: Int
        /// The directive's own block (`valon { … }`), if it has one.
        public var block: [Directive]?
    }

    public struct ServerBlock: Hashable, Sendable {
        /// The block's keys: `valon.internal:53`, `.:53`, `dns://example.org`.
        public var keys: [String]
        public var line: Int
        public var directives: [Directive]
    }

    public var serverBlocks: [ServerBlock]

    public init(parsing text: String, file: String) throws(ConfigError) {
        var parser = Parser(tokens: try Self.tokenize(text, file: file), file: file)
        serverBlocks = try parser.serverBlocks()
    }

    struct Token: Hashable {
        var text: String
        var line: Int
        var quoted: Bool
    }

    static func tokenize(_ text: String, file: String) throws(ConfigError) -> [Token] {
        var tokens = [Token]()
        var line = 1
        var current = ""
        var currentLine = 1
        var inQuote = false
        var quotedToken = false
        var iterator = text.makeIterator()
        func flush() {
            if !current.isEmpty || quotedToken { tokens.append(Token(text: current, line: currentLine, quoted: quotedToken)) }
            current = ""
            quotedToken = false
        }
        while let character = iterator.next() {
            if inQuote {
                if character == "\"" { inQuote = false; continue }
                if character == "\\" {
                    if let next = iterator.next() {
                        if next == "\n" { line += 1 }
                        current.append(next)
                    }
                    continue
                }
                if character == "\n" { line += 1 }
                current.append(character)
                continue
            }
            switch character {
            case "\n":
                flush()
                tokens.append(Token(text: "\n", line: line, quoted: false))
                line += 1
            case " ", "\t", "\r":
                flush()
            case "#":
                flush()
                while let skipped = iterator.next() {
                    if skipped == "\n" {
                        tokens.append(Token(text: "\n", line: line, quoted: false))
                        line += 1
                        break
                    }
                }
            case "\"":
                if current.isEmpty { currentLine = line }
                inQuote = true
                quotedToken = true
            case "{", "}":
                flush()
                tokens.append(Token(text: String(character), line: line, quoted: false))
            default:
                if current.isEmpty { currentLine = line }
                current.append(character)
            }
        }
        if inQuote { throw ConfigError(.syntax, file: file, line: line, "unterminated quote") }
        flush()
        return tokens
    }

    struct Parser {
        var tokens: [Token]
        var file: String
        var position = 0

        mutating func skipNewlines() {
            while position < tokens.count, tokens[position].text == "\n", !tokens[position].quoted { position += 1 }
        }

        func isSyntax(_ token: Token, _ text: String) -> Bool { !token.quoted && token.text == text }

        mutating func serverBlocks() throws(ConfigError) -> [ServerBlock] {
            var blocks = [ServerBlock]()
            skipNewlines()
            while position < tokens.count {
                var keys = [String]()
                let line = tokens[position].line
                while position < tokens.count, !isSyntax(tokens[position], "{") {
                    let token = tokens[position]
                    if isSyntax(token, "}") { throw ConfigError(.syntax, file: file, line: token.line, "unexpected '}'") }
                    if !isSyntax(token, "\n") { keys.append(token.text.hasSuffix(",") ? String(token.text.dropLast()) : token.text) }
                    position += 1
                }
                guard position < tokens.count else {
                    throw ConfigError(.syntax, file: file, line: line, "server block \(keys.joined(separator: " ")) has no '{'")
                }
                guard !keys.isEmpty else { throw ConfigError(.syntax, file: file, line: line, "a server block needs a key such as valon.internal:53") }
                position += 1
                blocks.append(ServerBlock(keys: keys, line: line, directives: try directives(closing: line)))
                skipNewlines()
            }
            return blocks
        }

        /// Directives up to the matching `}`.
        mutating func directives(closing openLine: Int) throws(ConfigError) -> [Directive] {
            var result = [Directive]()
            while true {
                skipNewlines()
                guard position < tokens.count else {
                    throw ConfigError(.syntax, file: file, line: openLine, "the block opened here is never closed")
                }
                if isSyntax(tokens[position], "}") { position += 1; return result }
                let nameToken = tokens[position]
                if isSyntax(nameToken, "{") { throw ConfigError(.syntax, file: file, line: nameToken.line, "unexpected '{'") }
                position += 1
                var arguments = [String]()
                var block: [Directive]?
                while position < tokens.count, !isSyntax(tokens[position], "\n") {
                    let token = tokens[position]
                    if isSyntax(token, "}") { break }
                    position += 1
                    if isSyntax(token, "{") {
                        block = try directives(closing: token.line)
                        break
                    }
                    arguments.append(token.text)
                }
                result.append(Directive(name: nameToken.text, arguments: arguments, line: nameToken.line, block: block))
            }
        }
    }
}
