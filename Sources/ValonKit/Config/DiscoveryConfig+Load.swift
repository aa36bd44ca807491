import Foundation

// Reading the file is the system edge; parsing its text is ValonCore's.
extension DiscoveryConfig {
    /// Reads a YAML file, or a Corefile when `corefile` is true.
    public static func load(path: String, corefile: Bool = false) throws(ConfigError) -> DiscoveryConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(.fileAccess, file: path, "cannot read: \(error.localizedDescription)")
        }
        return corefile ? try DiscoveryConfig(corefile: text, file: path) : try DiscoveryConfig(parsing: text, file: path)
    }
}
