/// A configuration file or value VALON cannot use. The message names the file, the line
/// where there is one, the key and what is wrong with its value.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The file could not be read (missing, permissions).
        public static let fileAccess = Code("fileAccess")
        /// No configuration file was found in any searched place.
        public static let notFound = Code("notFound")
        /// The text does not follow the file's syntax.
        public static let syntax = Code("syntax")
        /// A required key is absent.
        public static let missingKey = Code("missingKey")
        /// A key's value is not valid for that key.
        public static let invalidValue = Code("invalidValue")
        /// A key the format does not know (YAML files only; shell-style files ignore them).
        public static let unknownKey = Code("unknownKey")
    }

    public var code: Code
    /// The file (or `environment` for `VALON_*` overrides); empty when parsing a string.
    public var file: String
    /// The 1-based line, where known.
    public var line: Int?
    /// The key, dotted for nested YAML keys (`wireguard.network`).
    public var key: String?
    public var message: String

    public init(_ code: Code, file: String, line: Int? = nil, key: String? = nil, _ message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        var place = file.isEmpty ? "<config>" : file
        if let line { place += ":\(line)" }
        if let key { place += ": \(key)" }
        return "\(place): \(message)"
    }
}
