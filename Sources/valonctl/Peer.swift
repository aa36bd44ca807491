import ArgumentParser
import ValonKit

/// `valonctl peer …`.
struct Peer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, list, show, remove and export peers.",
        subcommands: [Add.self, List.self, Show.self, Remove.self, Export.self])
}
