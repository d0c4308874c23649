/**
 * A Python program that, run in a sandbox's work dir, leaves a tree meant to defeat teardown:
 * `deep N` (N nested directories, a file and a 000 dir at the bottom), `many N [K]` (N names in
 * directories of 1,000: empty files, or with K > 1 one file in K and hard links to it), `odd HOST_DIR` (names with newlines, leading dashes and invalid UTF-8;
 * dirs chmod 000 and 500 with content, files 000; a FIFO, a socket, hard links, symlinks to
 * HOST_DIR, to / and to themselves; an attempt at the immutable and append-only flags; the work
 * dir itself chmod 000 last). Prints one JSON line of what it did.
 */
export const HOSTILE_TREE_PROGRAM = String.raw`
import errno, fcntl, json, os, socket, struct, sys

what, arg = sys.argv[1], sys.argv[2]
per_inode = int(sys.argv[3]) if len(sys.argv) > 3 else 1
report = {"what": what}

def lock_bottom_up(dirs, mode):
    for d in reversed(dirs):
        os.chmod(d, mode)

if what == "deep":
    n = int(arg)
    for _ in range(n):
        os.mkdir("d")
        os.chdir("d")
    with open("bottom.txt", "w") as f:
        f.write("the bottom")
    os.mkdir("locked")
    os.chmod("locked", 0)
    report["depth"] = n
elif what == "many":
    n = int(arg)
    for i in range(n):
        if i % 1000 == 0:
            d = "m%d" % (i // 1000)
            os.mkdir(d)
        path = "%s/f%d" % (d, i)
        if i % per_inode == 0:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
            first = path
        else:
            os.link(first, path)
    report["files"] = n
elif what == "odd":
    host = arg
    names = [b"\n", b"new\nline", b"-rf", b"--", b"-", b"--one-file-system", b"--no-preserve-root",
             b"\xff\xfe\xfd", b"bad\xc3(utf8", b" lead space", b"*", b"\\", b"\t", b"x" * 255]
    os.mkdir(b"odd")
    for i, name in enumerate(names):
        os.mkdir(b"odd/" + name)
        with open(b"odd/" + name + b"/f", "w") as f:
            f.write("x")
        with open(b"odd/f" + name[:250], "w") as f:
            f.write("x")
    # Modes: a 000 dir holding a 000 dir holding a file and a symlink to the host dir; a 500 dir with content; 000 files.
    os.makedirs("modes/locked/inner")
    with open("modes/locked/inner/f", "w") as f:
        f.write("x")
    os.symlink(host, "modes/locked/inner/host-dir")
    lock_bottom_up(["modes/locked", "modes/locked/inner"], 0)
    os.makedirs("modes/ro/sub")
    with open("modes/ro/f", "w") as f:
        f.write("x")
    os.chmod("modes/ro", 0o500)
    with open("modes/nofile", "w") as f:
        f.write("x")
    os.chmod("modes/nofile", 0)
    chain = []
    for i in range(50):
        chain.append("/".join(["modes/chain"] + ["c"] * i))
        os.mkdir(chain[-1])
    lock_bottom_up(chain, 0)
    # Special files and links.
    os.mkdir("special")
    os.mkfifo("special/fifo")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind("special/sock")
    with open("special/file", "w") as f:
        f.write("x")
    os.link("special/file", "special/hardlink")
    os.mkdir("special/sub")
    os.link("special/file", "special/sub/hardlink")
    os.symlink(host, "special/host-dir")
    os.symlink(host + "/", "special/host-dir-slash")
    os.symlink("/", "special/root")
    os.symlink("loop", "special/loop")
    os.symlink("../special", "special/sub/up")
    # FS_IOC_SETFLAGS with FS_IMMUTABLE_FL | FS_APPEND_FL needs CAP_LINUX_IMMUTABLE.
    fd = os.open("special/file", os.O_RDONLY)
    try:
        fcntl.ioctl(fd, 0x40086602, struct.pack("q", 0x10 | 0x20))
        report["immutable"] = "set"
    except OSError as e:
        report["immutable"] = errno.errorcode.get(e.errno, str(e.errno))
    finally:
        os.close(fd)
    report["names"] = len(names)
    os.chmod(".", 0)
print(json.dumps(report), flush=True)
`;
