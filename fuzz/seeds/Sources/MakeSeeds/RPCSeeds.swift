/// Seeds of the JSON and framing harnesses: JSON-RPC messages as clients send them.
enum RPCSeeds {
    static let messages = [
        #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"cfsp","version":"0.1"},"framing":"ndjson"}}"#,
        #"{"jsonrpc":"2.0","id":"a-2","method":"model/load","params":{"path":"/tmp/m.gguf","format":"gguf"}}"#,
        #"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":7}}"#,
        #"{"jsonrpc":"2.0","id":3,"method":"prune","params":{"sparsity":0.25,"uniformWidths":true,"calibration":{"texts":["a\nb","\u00e9\ud83d\ude42"],"windows":-1e2}}}"#,
        #"{"jsonrpc":"2.0","id":4,"result":{"ok":true,"list":[1,2.5,-0,null,false,{"x":[]}]}}"#,
        #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"bad","data":{"offset":3}}}"#,
        #"[{"jsonrpc":"2.0","id":1,"method":"a"}]"#,
        #"  "\"\\\/\b\f\n\r\t" "#,
    ]

    static func write(into corpus: SeedCorpus) throws {
        for harness in ["json", "content-length", "ndjson"] { try corpus.clear(harness) }
        for (index, message) in messages.enumerated() {
            try corpus.write("json", "message-\(index).json", message.utf8)
        }
        // Framing inputs: byte 0 picks the size limit (255: the default), byte 1 how the stream
        // is split into reads (0: byte by byte), then the stream (see FramingReplay.swift).
        let small = messages[0], large = messages[3]
        func contentLength(_ body: String, headers: String = "") -> String {
            "Content-Length: \(body.utf8.count)\r\n\(headers)\r\n\(body)"
        }
        let streams: [(String, UInt8, UInt8, String)] = [
            ("two", 255, 0, contentLength(small) + contentLength(messages[2])),
            ("content-type", 255, 9, contentLength(small, headers: "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n")),
            ("over-limit", 40, 3, contentLength(large) + contentLength(messages[2])),
            ("blank-line", 255, 17, "\r\n" + contentLength(messages[4]) + "\r\n\r\n" + contentLength(messages[5])),
            ("bad-header", 255, 5, "Content-Length: 12x\r\n\r\n{}" + "X-Other: 1\r\n\r\n" + contentLength("{}")),
        ]
        for (name, limit, seed, stream) in streams {
            try corpus.write("content-length", "\(name).bin", [limit, seed] + Array(stream.utf8))
        }
        let lines: [(String, UInt8, UInt8, String)] = [
            ("two", 255, 0, small + "\n" + messages[2] + "\n"),
            ("crlf-blank", 255, 11, messages[4] + "\r\n\n  \n" + messages[5] + "\r\n"),
            ("over-limit", 40, 3, large + "\n" + messages[2] + "\n"),
            ("unfinished", 255, 7, small + "\n" + messages[1]),
        ]
        for (name, limit, seed, stream) in lines {
            try corpus.write("ndjson", "\(name).bin", [limit, seed] + Array(stream.utf8))
        }
    }
}
