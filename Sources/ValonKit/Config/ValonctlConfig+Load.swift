import Foundation

// Reading the file is the system edge; parsing its text is ValonCore's.
extension ValonctlConfig {
    /// Reads `path` (default ``defaultPath``).
    public static func load(path: String? = nil) throws(ConfigError) -> ValonctlConfig {
        let file = path ?? defaultPath
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigError(.fileAccess, file: file, "cannot read: \(error.localizedDescription)")
        }
        return try ValonctlConfig(parsing: text, file: file)
    }
}
