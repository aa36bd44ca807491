/// Global options before or after the subcommand (docs/ARCHITECTURE.md §3: the original's cobra CLI
/// takes `valonctl --config FILE peer list`, and its operators' scripts call it so).
///
/// swift-argument-parser only accepts a subcommand's options after the subcommand's name.
/// ``normalised(_:)`` moves the recognised global options that come before or between
/// the subcommand names to just after the last name, so that both orders parse the
/// same way. Nothing else moves; the first argument that is neither a global option nor
/// the next subcommand name (or a `--`) ends the scan, and everything from there on is
/// left in place. An option given twice stays twice, in its order, and the parser
/// decides (the last one wins for a value option). When no subcommand name was found
/// the arguments are returned unchanged.
public struct GlobalOptionOrder: Sendable, Equatable {
    /// A global option's long name (`--config`) and whether it takes a value.
    public struct Option: Sendable, Equatable {
        public var name: String
        public var takesValue: Bool

        public init(_ name: String, takesValue: Bool) {
            self.name = name
            self.takesValue = takesValue
        }
    }

    public var options: [Option]
    /// Every subcommand as its path of names under the root, such as `["peer", "list"]`
    /// (aliases as paths of their own).
    public var commands: [[String]]

    public init(options: [Option], commands: [[String]]) {
        self.options = options
        self.commands = commands
    }

    /// The arguments (without the program name) with the global options that precede or
    /// interleave the subcommand path moved to just after it.
    public func normalised(_ arguments: [String]) -> [String] {
        var path: [String] = []
        var moved: [String] = []
        var index = arguments.startIndex
        scan: while index < arguments.endIndex {
            let argument = arguments[index]
            if argument == "--" { break }
            for option in options {
                if argument == option.name {
                    // A value option at the very end has no value: leave it for the parser to report.
                    if option.takesValue {
                        guard index + 1 < arguments.endIndex else { break scan }
                        moved += [argument, arguments[index + 1]]
                        index += 2
                    } else {
                        moved.append(argument)
                        index += 1
                    }
                    continue scan
                }
                if option.takesValue, argument.hasPrefix(option.name + "=") {
                    moved.append(argument)
                    index += 1
                    continue scan
                }
            }
            let candidate = path + [argument]
            guard commands.contains(where: { $0.starts(with: candidate) }) else { break }
            path = candidate
            index += 1
        }
        guard !path.isEmpty, !moved.isEmpty else { return arguments }
        return path + moved + arguments[index...]
    }
}
