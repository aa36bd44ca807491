import Foundation

// Reading the file is the system edge; parsing its text is ValonCore's.
extension ClientConfig {
    /// Reads the configuration: `path` when given, else `$VALON_CONFIG`, else the first of
    /// ``searchPaths`` that exists. The error lists every place that was tried.
    public static func load(path: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> ClientConfig {
        let candidates: [String]
        if let path {
            candidates = [path]
        } else if let fromEnvironment = environment["VALON_CONFIG"], !fromEnvironment.isEmpty {
            candidates = [fromEnvironment]
        } else {
            candidates = searchPaths
        }
        for candidate in candidates {
            guard FileManager.default.fileExists(atPath: candidate) || candidates.count == 1 else { continue }
            let text: String
            do {
                text = try String(contentsOfFile: candidate, encoding: .utf8)
            } catch {
                throw ConfigError(.fileAccess, file: candidate, "cannot read: \(error.localizedDescription)")
            }
            return try ClientConfig(parsing: text, file: candidate, environment: environment)
        }
        throw ConfigError(.notFound, file: candidates.joined(separator: ", "), "no client configuration found (tried \(candidates.joined(separator: ", ")); pass --config PATH or set VALON_CONFIG")
    }
}
