import Foundation
import TestSupport
import Testing

@Suite("ScratchFolder")
struct ScratchFolderTests {
    @Test("each folder is new, empty and private, and goes away with its files when released")
    func lifecycle() throws {
        var path = ""
        do {
            let folder = try ScratchFolder(prefix: "scratch-test")
            let other = try ScratchFolder(prefix: "scratch-test")
            path = folder.path
            #expect(folder.path != other.path)
            #expect(folder.contents().isEmpty)
            let attributes = try FileManager.default.attributesOfItem(atPath: folder.path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
            try Data("x".utf8).write(to: folder.fileURL("a.txt"))
            try FileManager.default.createDirectory(atPath: folder.file("sub"), withIntermediateDirectories: false)
            #expect(folder.contents() == ["a.txt", "sub"])
        }
        #expect(!path.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: path), "released, the folder is removed")
    }

    @Test("remove() deletes it at once; a short parent keeps socket paths short")
    func explicitRemoval() throws {
        let folder = try ScratchFolder(prefix: "s", in: "/tmp")
        #expect(folder.path.hasPrefix("/tmp/s-") && folder.path.count == "/tmp/s-XXXXXX".count)
        folder.remove()
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }
}
