import Yams

/// A thin reader over a composed YAML document that keeps line numbers, so a bad value
/// is reported as `valonctl.yml:7: wireguard.network: …` rather than a decoding path.
package struct YAMLDocument {
    let file: String
    let root: Node?

    package init(text: String, file: String) throws(ConfigError) {
        self.file = file
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(.syntax, file: file, line: Self.line(of: error), "\(error)")
        } catch {
            throw ConfigError(.syntax, file: file, "\(error)")
        }
    }

    /// A mapping at a dotted path, with its keys checked against `known`.
    package struct Mapping {
        let document: YAMLDocument
        let path: String
        let node: Node?

        package func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

        package func line(_ node: Node?) -> Int? { node?.mark.map { $0.line } }

        /// Refuses keys outside `known`, naming the first unknown one and its line.
        package func allowOnly(_ known: Set<String>) throws(ConfigError) {
            guard let mapping = node?.mapping else { return }
            for (keyNode, _) in mapping {
                let name = keyNode.string ?? "?"
                if !known.contains(name) {
                    throw ConfigError(.unknownKey, file: document.file, line: line(keyNode), key: key(name),
                                      "unknown key (known here: \(known.sorted().joined(separator: ", ")))")
                }
            }
        }

        package func value(_ name: String) -> Node? { node?.mapping?[name] }

        package func mapping(_ name: String) throws(ConfigError) -> Mapping {
            let child = value(name)
            if let child, child.mapping == nil, !(child.scalar.map { $0.string.isEmpty || $0.string == "~" || $0.string == "null" } ?? false) {
                throw ConfigError(.invalidValue, file: document.file, line: line(child), key: key(name), "expected a mapping")
            }
            return Mapping(document: document, path: key(name), node: child?.mapping == nil ? nil : child)
        }

        package func string(_ name: String) throws(ConfigError) -> String? {
            guard let child = value(name) else { return nil }
            guard let scalar = child.scalar else {
                throw ConfigError(.invalidValue, file: document.file, line: line(child), key: key(name), "expected a single value")
            }
            return scalar.string.isEmpty ? nil : scalar.string
        }

        /// A list of strings; a single scalar is taken as a list of its white-space-separated words
        /// (CoreDNS's `etcd_endpoints a b c` style).
        package func strings(_ name: String) throws(ConfigError) -> [String]? {
            guard let child = value(name) else { return nil }
            if let sequence = child.sequence {
                var result = [String]()
                for item in sequence {
                    guard let text = item.scalar?.string else {
                        throw ConfigError(.invalidValue, file: document.file, line: line(item), key: key(name), "expected a list of values")
                    }
                    result.append(text)
                }
                return result
            }
            if let scalar = child.scalar {
                return scalar.string.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
            }
            throw ConfigError(.invalidValue, file: document.file, line: line(child), key: key(name), "expected a list")
        }

        /// Parses a value with `parse`, reporting `expectation` when it returns nil.
        package func parsed<T>(_ name: String, _ expectation: String, _ parse: (String) -> T?) throws(ConfigError) -> T? {
            guard let text = try string(name) else { return nil }
            guard let value = parse(text) else { throw invalid(name, "\"\(text)\" is not \(expectation)") }
            return value
        }

        package func invalid(_ name: String, _ message: String) -> ConfigError {
            ConfigError(.invalidValue, file: document.file, line: line(value(name)), key: key(name), message)
        }

        package func missing(_ name: String) -> ConfigError {
            ConfigError(.missingKey, file: document.file, line: line(node), key: key(name), "\(key(name)) is required")
        }
    }

    package var top: Mapping { Mapping(document: self, path: "", node: root) }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }
}
