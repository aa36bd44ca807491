import Testing
import ValonKit

/// ``GlobalOptionOrder``: which arguments move where, on valonctl's own option set and
/// command tree.
@Suite("Global options before or after the subcommand")
struct GlobalOptionOrderTests {
    static let order = GlobalOptionOrder(
        options: [.init("--config", takesValue: true), .init("--json", takesValue: false)],
        commands: [["peer"], ["peer", "add"], ["peer", "list"], ["peer", "show"], ["peer", "remove"],
                   ["peer", "export"], ["status"], ["genkey"], ["pubkey"]])

    @Test("normalised", arguments: [
        // Already after the subcommand, or no global options: unchanged.
        ("peer list --config F", "peer list --config F"),
        ("peer list", "peer list"),
        ("peer add K --alias a --config F", "peer add K --alias a --config F"),
        ("", ""),
        // Before the subcommand: moved to just after its last name.
        ("--config F peer list", "peer list --config F"),
        ("--config=F peer list", "peer list --config=F"),
        ("--config F --json peer list", "peer list --config F --json"),
        ("--json peer list", "peer list --json"),
        ("--config F peer add K --alias a --wg-ip 100.100.0.10", "peer add --config F K --alias a --wg-ip 100.100.0.10"),
        ("--config F status --dns-server 127.0.0.1:53", "status --config F --dns-server 127.0.0.1:53"),
        ("--config F peer export out.json", "peer export --config F out.json"),
        // Between the names.
        ("peer --config F list", "peer list --config F"),
        ("--json peer --config F show client01", "peer show --json --config F client01"),
        // A value that looks like a subcommand or an option is the option's value.
        ("--config peer peer list", "peer list --config peer"),
        ("--config --json peer list", "peer list --config --json"),
        // Twice: both kept in order; the parser lets the last one win.
        ("--config A peer list --config B", "peer list --config A --config B"),
        // Only a prefix of a command: still moved after it (the parser then reports it).
        ("--config F peer", "peer --config F"),
        // Not a subcommand: nothing moves and the parser reports what it sees.
        ("--config F", "--config F"),
        ("--config F nonsense list", "--config F nonsense list"),
        ("--bogus peer list", "--bogus peer list"),
        ("--config F --bogus peer list", "--config F --bogus peer list"),
        ("--help", "--help"),
        ("--config", "--config"),
        // The scan stops at the first argument that is no command name.
        ("--config F peer show --json", "peer show --config F --json"),
        ("peer remove --config F -- --json", "peer remove --config F -- --json"),
        ("--config F peer remove -- --json", "peer remove --config F -- --json"),
        ("--config F -- peer list", "--config F -- peer list"),
        // A positional argument equal to a command name is not part of the path.
        ("--config F peer show peer", "peer show --config F peer"),
        ("--config F peer show list", "peer show --config F list"),
        // Commands without global options get them moved all the same, so both orders fail alike.
        ("--config F genkey", "genkey --config F"),
    ])
    func normalised(input: String, expected: String) {
        let split = { (text: String) in text.split(separator: " ").map(String.init) }
        #expect(Self.order.normalised(split(input)) == split(expected))
    }

    @Test("normalising twice changes nothing more")
    func idempotent() {
        for input in ["--config F --json peer add K --alias a", "peer --json list --config F", "--config F status"] {
            let once = Self.order.normalised(input.split(separator: " ").map(String.init))
            #expect(Self.order.normalised(once) == once)
        }
    }
}
