import ArgumentParser
import Foundation
import ValonKit

struct Genkey: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a new private key (base64), like `wg genkey`.",
        discussion: """
            The only command that ever prints a private key. Keep it in a file readable by root \
            only (umask 077), and derive the public key with `valonctl pubkey`.

            Example:
              (umask 077; valonctl genkey > /etc/wireguard/wg0.key)
              valonctl pubkey < /etc/wireguard/wg0.key > /etc/wireguard/wg0.pub
            """)

    func run() {
        print(WireGuardKey.generatePrivate().base64)
    }
}

struct Pubkey: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read a private key on standard input and print its public key, like `wg pubkey`.",
        discussion: """
            Exits 2 when the input is not a base64 key of 32 bytes.

            Example:
              valonctl genkey | tee client.key | valonctl pubkey > client.pub
            """)

    func run() throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        print(try KeyText.publicKey(ofPrivateKey: String(decoding: input, as: UTF8.self)).base64)
    }
}
