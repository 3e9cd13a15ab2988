package e2e

import (
	"archive/tar"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// TestImageCLI runs every image command of the guides with the real openstack CLI and
// python3-glanceclient, on each database gostack supports.
func TestImageCLI(t *testing.T) {
	for _, dialect := range dbtest.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			imageScenario(t, startCloud(t, dialect))
		})
	}
}

// imageFiles are the disk images a user uploads, built with qemu-img as a user would.
type imageFiles struct {
	raw         string // raw disk with data in it
	qcow2       string // the same disk converted to qcow2
	virtualSize int64  // of both, as qemu-img reports it
	docker      string // a tar of a container layer
	backing     string // qcow2 whose backing file is /etc/passwd
	dataFile    string // qcow2 with an external data file
}

// imageUsers are the people of the scenario: admin, and jane, a member of the demo project.
type imageUsers struct {
	admin, jane  map[string]string
	adminProject string
	demoProject  string
}

// imageScenario runs the image parts on one cloud, with files and users they share.
func imageScenario(t *testing.T, c *cloud) {
	files := makeImageFiles(t)
	users := imageScenarioUsers(t, c)
	// Each part works on its own images, so they run side by side on the one cloud.
	for _, part := range []struct {
		name string
		run  func(*testing.T, imageFiles, imageUsers)
	}{
		{"cirros lifecycle", imageLifecycle},
		{"formats and lists", imageFormatsAndLists},
		{"sharing", imageSharing},
		{"policy", imagePolicy},
		{"bad input", imageBadInput},
	} {
		t.Run(part.name, func(t *testing.T) {
			t.Parallel()
			part.run(t, files, users)
		})
	}
}

// imageScenarioUsers creates jane, a member of demo, through the CLI as the identity guides do.
func imageScenarioUsers(t *testing.T, c *cloud) imageUsers {
	c.openstack(t, "user", "create", "--domain", "default", "--password", "jane-pass", "jane")
	c.openstack(t, "role", "add", "--project", "demo", "--user", "jane", "member")
	var tok, demo map[string]any
	openstackJSON(t, c.env, &tok, "token", "issue")
	openstackJSON(t, c.env, &demo, "project", "show", "demo")
	return imageUsers{
		admin: c.env, jane: c.as("jane", "jane-pass", "demo"),
		adminProject: tok["project_id"].(string), demoProject: demo["id"].(string),
	}
}

// makeImageFiles builds the scenario's disk images with qemu-img.
func makeImageFiles(t *testing.T) imageFiles {
	dir := t.TempDir()
	f := imageFiles{
		raw: filepath.Join(dir, "disk.raw"), qcow2: filepath.Join(dir, "cirros.qcow2"),
		docker: filepath.Join(dir, "layer.tar"), backing: filepath.Join(dir, "evil.qcow2"),
		dataFile: filepath.Join(dir, "evil-data.qcow2"),
	}
	qemuImg(t, "create", "-f", "raw", f.raw, "4M")
	// Like dd conv=notrunc: some data past the first MiB, so the digests mean something.
	data := make([]byte, 256<<10)
	rand.New(rand.NewSource(1)).Read(data)
	raw, err := os.OpenFile(f.raw, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.WriteAt(data, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	qemuImg(t, "convert", "-f", "raw", "-O", "qcow2", f.raw, f.qcow2)
	var info struct {
		VirtualSize int64 `json:"virtual-size"`
	}
	if err := json.Unmarshal([]byte(qemuImg(t, "info", "--output=json", f.qcow2)), &info); err != nil {
		t.Fatal(err)
	}
	f.virtualSize = info.VirtualSize
	qemuImg(t, "create", "-f", "qcow2", "-b", "/etc/passwd", "-F", "raw", f.backing, "1M")
	qemuImg(t, "create", "-f", "qcow2", "-o", "data_file="+filepath.Join(dir, "evil-data.raw")+",data_file_raw=on", f.dataFile, "1M")
	writeLayerTar(t, f.docker)
	return f
}

// qemuImg runs qemu-img and returns its standard output.
func qemuImg(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("qemu-img", args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("qemu-img %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// writeLayerTar writes a small container image tarball, as `docker save` would.
func writeLayerTar(t *testing.T, path string) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, file := range [][2]string{
		{"manifest.json", `[{"Config":"config.json","Layers":["layer/layer.tar"]}]`},
		{"config.json", `{"architecture":"amd64","os":"linux"}`},
		{"layer/VERSION", "1.0"},
	} {
		name, body := file[0], file[1]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// digests are a file's size and hex digests.
type digests struct {
	size                   int64
	md5, sha256, sha512hex string
}

// fileDigests reads a file through md5, sha256 and sha512.
func fileDigests(t *testing.T, path string) digests {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hs := []hash.Hash{md5.New(), sha256.New(), sha512.New()}
	n, err := io.Copy(io.MultiWriter(hs[0], hs[1], hs[2]), f)
	if err != nil {
		t.Fatal(err)
	}
	return digests{size: n, md5: hex.EncodeToString(hs[0].Sum(nil)),
		sha256: hex.EncodeToString(hs[1].Sum(nil)), sha512hex: hex.EncodeToString(hs[2].Sum(nil))}
}

// glance runs python3-glanceclient with standard input closed (so it never takes stdin for
// image data) and fails the test if it fails.
func glance(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	out, errOut, ok := glanceRun(env, args...)
	if !ok {
		t.Fatalf("glance %s failed:\n%s%s", strings.Join(args, " "), out, errOut)
	}
	return out
}

// glanceFails runs glanceclient expecting failure and returns what it printed.
func glanceFails(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	out, errOut, ok := glanceRun(env, args...)
	if ok {
		t.Fatalf("glance %s succeeded, want failure:\n%s", strings.Join(args, " "), out)
	}
	return out + errOut
}

// glanceRun is glanceclient run through sh to close its standard input.
func glanceRun(env map[string]string, args ...string) (stdout, stderr string, ok bool) {
	return client(env, "sh", append([]string{"-c", `exec glance "$@" <&-`, "glance"}, args...)...)
}

// glanceField reads one row of a glanceclient property table.
func glanceField(out, key string) string {
	for _, line := range strings.Split(out, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) >= 3 && strings.TrimSpace(cells[1]) == key {
			return strings.TrimSpace(cells[2])
		}
	}
	return ""
}

// showImage is `openstack image show -f json`.
func showImage(t *testing.T, env map[string]string, image string) map[string]any {
	t.Helper()
	var img map[string]any
	openstackJSON(t, env, &img, "image", "show", image)
	return img
}

// imageAttr is an attribute of a shown image: openstack CLI 6 prints some (os_hash_algo,
// os_hash_value, os_hidden …) inside properties.
func imageAttr(img map[string]any, key string) any {
	if v, ok := img[key]; ok {
		return v
	}
	props, _ := img["properties"].(map[string]any)
	return props[key]
}

// listImages is `openstack image list -f json` with args; it returns the names in order and the
// IDs by name.
func listImages(t *testing.T, env map[string]string, args ...string) (names []string, ids map[string]string) {
	t.Helper()
	var rows []map[string]any
	openstackJSON(t, env, &rows, append([]string{"image", "list"}, args...)...)
	ids = map[string]string{}
	for _, r := range rows {
		name, _ := r["Name"].(string)
		names = append(names, name)
		ids[name], _ = r["ID"].(string)
	}
	return names, ids
}

// wantListed checks which of the names `image list args` shows.
func wantListed(t *testing.T, env map[string]string, args []string, in, out []string) {
	t.Helper()
	names, _ := listImages(t, env, args...)
	for _, n := range in {
		if !slices.Contains(names, n) {
			t.Errorf("image list %s lacks %s: %v", strings.Join(args, " "), n, names)
		}
	}
	for _, n := range out {
		if slices.Contains(names, n) {
			t.Errorf("image list %s shows %s: %v", strings.Join(args, " "), n, names)
		}
	}
}

// wantContains checks that out names every want, ignoring case.
func wantContains(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(strings.ToLower(out), strings.ToLower(w)) {
			t.Errorf("%s: want %q in:\n%s", what, w, out)
		}
	}
}

// num is a JSON number as an integer (0 when v is not a number).
func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// imageLifecycle is the guides' cirros image from create to delete, as admin.
func imageLifecycle(t *testing.T, f imageFiles, u imageUsers) {
	var img map[string]any
	openstackJSON(t, u.admin, &img, "image", "create", "cirros", "--file", f.qcow2,
		"--disk-format", "qcow2", "--container-format", "bare", "--public")
	hasKeys(t, "image create", img, "container_format", "created_at", "disk_format", "file", "id", "min_disk",
		"min_ram", "name", "owner", "properties", "protected", "schema", "status", "tags", "updated_at", "visibility")
	id, _ := img["id"].(string)
	if id == "" {
		t.Fatalf("image create: no id in %v", img)
	}
	for k, want := range map[string]any{
		"container_format": "bare", "disk_format": "qcow2", "name": "cirros", "visibility": "public",
		"owner": u.adminProject, "protected": false, "min_disk": 0.0, "min_ram": 0.0,
		"schema": "/v2/schemas/image", "file": "/v2/images/" + id + "/file",
	} {
		if img[k] != want {
			t.Errorf("image create: %s = %v, want %v", k, img[k], want)
		}
	}

	d := fileDigests(t, f.qcow2)
	img = showImage(t, u.admin, "cirros")
	for k, want := range map[string]any{
		"status": "active", "size": float64(d.size), "checksum": d.md5, "os_hash_algo": "sha512",
		"os_hash_value": d.sha512hex, "virtual_size": float64(f.virtualSize),
	} {
		if got := imageAttr(img, k); got != want {
			t.Errorf("image show cirros: %s = %v, want %v", k, got, want)
		}
	}
	out := glance(t, u.admin, "image-show", id)
	for k, want := range map[string]string{"status": "active", "checksum": d.md5, "disk_format": "qcow2", "name": "cirros"} {
		if got := glanceField(out, k); got != want {
			t.Errorf("glance image-show: %s = %q, want %q\n%s", k, got, want, out)
		}
	}

	// Metadata: min_ram, properties and tags, with both clients.
	mustCLI(t, u.admin, "image", "set", "--min-ram", "8", "cirros")
	mustCLI(t, u.admin, "image", "set", "--property", "hw_disk_bus=virtio", "--property", "os_distro=cirros", "cirros")
	mustCLI(t, u.admin, "image", "unset", "--property", "os_distro", "cirros")
	mustCLI(t, u.admin, "image", "set", "--tag", "lab", "cirros")
	glance(t, u.admin, "image-tag-update", id, "from-glance")
	img = showImage(t, u.admin, "cirros")
	if num(img["min_ram"]) != 8 || imageAttr(img, "hw_disk_bus") != "virtio" || imageAttr(img, "os_distro") != nil {
		t.Errorf("after image set/unset: min_ram %v hw_disk_bus %v os_distro %v",
			img["min_ram"], imageAttr(img, "hw_disk_bus"), imageAttr(img, "os_distro"))
	}
	if tags, _ := img["tags"].([]any); len(tags) != 2 || !slices.Contains(tags, any("lab")) || !slices.Contains(tags, any("from-glance")) {
		t.Errorf("tags after image set --tag lab and glance image-tag-update from-glance: %v", img["tags"])
	}
	wantListed(t, u.admin, []string{"--property", "hw_disk_bus=virtio"}, []string{"cirros"}, nil)
	wantListed(t, u.admin, []string{"--tag", "lab"}, []string{"cirros"}, nil)

	imageSave(t, u.admin, "cirros", f.qcow2)

	// A protected image cannot be deleted until it is unprotected.
	mustCLI(t, u.admin, "image", "set", "--protected", "cirros")
	wantContains(t, "image delete of a protected image", openstackFails(t, u.admin, "image", "delete", "cirros"), "403", "protected")
	mustCLI(t, u.admin, "image", "set", "--unprotected", "cirros")

	// A deactivated image's data is refused to others until an admin reactivates it.
	mustCLI(t, u.admin, "image", "set", "--deactivate", "cirros")
	if img = showImage(t, u.admin, "cirros"); img["status"] != "deactivated" {
		t.Errorf("after --deactivate: status %v", img["status"])
	}
	// openstacksdk does not check the status of a download, so only the failure is certain.
	openstackFails(t, u.jane, "image", "save", "--file", filepath.Join(t.TempDir(), "x"), id)
	mustCLI(t, u.admin, "image", "set", "--activate", "cirros")

	mustCLI(t, u.admin, "image", "unset", "--tag", "lab", "cirros")
	glance(t, u.admin, "image-tag-delete", id, "from-glance")
	mustCLI(t, u.admin, "image", "set", "--name", "cirros-0.6", "cirros")
	img = showImage(t, u.admin, "cirros-0.6")
	if img["id"] != id || img["status"] != "active" || img["protected"] != false || fmt.Sprint(img["tags"]) != "[]" {
		t.Errorf("image show cirros-0.6 after --unprotected, --activate, unset --tag, glance image-tag-delete and --name: %v", img)
	}
	mustCLI(t, u.admin, "image", "delete", "cirros-0.6")
	wantContains(t, "image show after delete", openstackFails(t, u.admin, "image", "show", id), id)
}

// imageSave downloads an image and compares it with the file uploaded.
func imageSave(t *testing.T, env map[string]string, image, uploaded string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "saved.img")
	mustCLI(t, env, "image", "save", "--file", out, image)
	if got, want := fileDigests(t, out), fileDigests(t, uploaded); got.sha256 != want.sha256 || got.size != want.size {
		t.Errorf("image save %s: %d bytes sha256 %s, uploaded %d bytes sha256 %s", image, got.size, got.sha256, want.size, want.sha256)
	}
}

// imageFormatsAndLists uploads raw and docker images and lists them with every filter.
func imageFormatsAndLists(t *testing.T, f imageFiles, u imageUsers) {
	var img map[string]any
	openstackJSON(t, u.admin, &img, "image", "create", "rawimage", "--file", f.raw, "--disk-format", "raw",
		"--container-format", "bare", "--private")
	d := fileDigests(t, f.raw)
	img = showImage(t, u.admin, "rawimage")
	for k, want := range map[string]any{
		"status": "active", "disk_format": "raw", "visibility": "private", "size": float64(d.size),
		"virtual_size": float64(d.size), "checksum": d.md5, "os_hash_value": d.sha512hex,
	} {
		if got := imageAttr(img, k); got != want {
			t.Errorf("image show rawimage: %s = %v, want %v", k, got, want)
		}
	}

	// The guides' container image (--is-public=True and --name are the old CLI's spelling).
	openstackJSON(t, u.admin, &img, "image", "create", "--container-format", "docker", "--disk-format", "raw",
		"--public", "--file", f.docker, "dockerimage")
	dockerID, _ := img["id"].(string)
	out := glance(t, u.admin, "image-show", dockerID)
	if glanceField(out, "container_format") != "docker" || glanceField(out, "status") != "active" ||
		glanceField(out, "size") != fmt.Sprint(fileDigests(t, f.docker).size) {
		t.Errorf("glance image-show %s:\n%s", dockerID, out)
	}
	wantContains(t, "glance image-list", glance(t, u.admin, "image-list"), dockerID, "dockerimage")

	wantListed(t, u.admin, nil, []string{"rawimage", "dockerimage"}, nil)
	wantListed(t, u.admin, []string{"--public"}, []string{"dockerimage"}, []string{"rawimage"})
	wantListed(t, u.admin, []string{"--private"}, []string{"rawimage"}, []string{"dockerimage"})
	wantListed(t, u.jane, nil, []string{"dockerimage"}, []string{"rawimage"})
	for _, dir := range []string{"asc", "desc"} {
		names, _ := listImages(t, u.admin, "--sort", "name:"+dir)
		di, ri := slices.Index(names, "dockerimage"), slices.Index(names, "rawimage")
		if di < 0 || ri < 0 || (di < ri) != (dir == "asc") {
			t.Errorf("image list --sort name:%s: %v", dir, names)
		}
	}
	if names, _ := listImages(t, u.admin, "--limit", "1"); len(names) != 1 {
		t.Errorf("image list --limit 1: %v", names)
	}
	mustCLI(t, u.admin, "image", "delete", "rawimage", "dockerimage")
}

// imageSharing shares an image with the demo project, which accepts it.
func imageSharing(t *testing.T, f imageFiles, u imageUsers) {
	var img map[string]any
	openstackJSON(t, u.admin, &img, "image", "create", "shareme", "--file", f.raw, "--disk-format", "raw", "--shared")
	id, _ := img["id"].(string)
	if img["visibility"] != "shared" || id == "" {
		t.Fatalf("image create --shared: %v", img)
	}

	// `image member create` of the guides: openstack CLI 6 spells it `image add project`.
	var member map[string]any
	openstackJSON(t, u.admin, &member, "image", "add", "project", "shareme", "demo")
	hasKeys(t, "image add project", member, "created_at", "image_id", "member_id", "schema", "status", "updated_at")
	if member["member_id"] != u.demoProject || member["status"] != "pending" || member["image_id"] != id {
		t.Errorf("image add project: %v", member)
	}
	wantMembers(t, u.admin, "shareme", u.demoProject+"=pending")
	wantListed(t, u.jane, nil, nil, []string{"shareme"}) // pending: not yet in jane's list

	mustCLI(t, u.jane, "image", "set", "--accept", id)
	wantMembers(t, u.admin, "shareme", u.demoProject+"=accepted")
	wantListed(t, u.jane, nil, []string{"shareme"}, nil)
	wantListed(t, u.jane, []string{"--shared"}, []string{"shareme"}, nil)
	imageSave(t, u.jane, id, f.raw)

	// Only the owner changes the image; the member project may not.
	wantContains(t, "a member's image set on a shared image", openstackFails(t, u.jane, "image", "set", "--min-ram", "4", id), "403")
	wantContains(t, "a member's image delete of a shared image", openstackFails(t, u.jane, "image", "delete", id), "403")
	if img = showImage(t, u.admin, id); num(img["min_ram"]) != 0 || img["status"] != "active" {
		t.Errorf("after a member's refused changes: %v", img)
	}

	// `image member delete`: openstack CLI 6 spells it `image remove project`.
	mustCLI(t, u.admin, "image", "remove", "project", "shareme", "demo")
	wantListed(t, u.jane, nil, nil, []string{"shareme"})

	// The same with glanceclient: member-create, member-update (by the member), member-delete.
	glance(t, u.admin, "member-create", id, u.demoProject)
	glance(t, u.jane, "member-update", id, u.demoProject, "rejected")
	wantContains(t, "glance member-list", glance(t, u.admin, "member-list", "--image-id", id), u.demoProject, "rejected")
	wantListed(t, u.jane, nil, nil, []string{"shareme"})
	glance(t, u.admin, "member-delete", id, u.demoProject)
	wantMembers(t, u.admin, "shareme")
	mustCLI(t, u.admin, "image", "delete", id)
}

// wantMembers checks `image member list` against project=status pairs.
func wantMembers(t *testing.T, env map[string]string, image string, want ...string) {
	t.Helper()
	var rows []map[string]any
	openstackJSON(t, env, &rows, "image", "member", "list", image)
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%v=%v", r["Member ID"], r["Status"]))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("image member list %s: %v, want %v", image, got, want)
	}
}

// imagePolicy checks Glance's default policy from a demo member's side.
func imagePolicy(t *testing.T, f imageFiles, u imageUsers) {
	// Publicizing an image is admin-only, and a refused create leaves nothing behind.
	out := openstackFails(t, u.jane, "image", "create", "janes-public", "--file", f.raw, "--disk-format", "raw", "--public")
	wantContains(t, "a member's image create --public", out, "403")
	wantListed(t, u.admin, []string{"--name", "janes-public"}, nil, []string{"janes-public"})

	// A member manages the images of their own project.
	var img map[string]any
	openstackJSON(t, u.jane, &img, "image", "create", "janes-image", "--file", f.raw, "--disk-format", "raw")
	if img["owner"] != u.demoProject {
		t.Errorf("jane's image: owner %v, want demo %s", img["owner"], u.demoProject)
	}
	mustCLI(t, u.jane, "image", "set", "--min-ram", "16", "janes-image")
	mustCLI(t, u.jane, "image", "delete", "janes-image")

	// Another project's public image: visible, but only its owner changes it.
	openstackJSON(t, u.admin, &img, "image", "create", "admins-public", "--file", f.raw, "--disk-format", "raw", "--public")
	id, _ := img["id"].(string)
	for _, args := range [][]string{{"image", "set", "--name", "stolen", id}, {"image", "delete", id}} {
		wantContains(t, "jane: openstack "+strings.Join(args, " "), openstackFails(t, u.jane, args...), "403")
	}
	// openstacksdk ignores the answer to an image action, so `image set --deactivate` "succeeds"
	// either way: what counts is the state afterwards.
	cli(u.jane, "image", "set", "--deactivate", id)
	if img = showImage(t, u.admin, id); img["name"] != "admins-public" || img["status"] != "active" {
		t.Errorf("admins-public after jane's refused changes: %v", img)
	}
	mustCLI(t, u.admin, "image", "delete", id)
}

// imageBadInput feeds mistakes and malicious images through the clients: each is refused with a
// message that names the problem and leaves no half-written image.
func imageBadInput(t *testing.T, f imageFiles, u imageUsers) {
	// Unknown formats: both clients know the list; past them, the server refuses.
	out := openstackFails(t, u.admin, "image", "create", "badformat", "--file", f.raw, "--disk-format", "foo")
	wantContains(t, "image create --disk-format foo", out, "disk-format", "foo")
	out = glanceFails(t, u.admin, "image-create", "--name", "badformat", "--disk-format", "foo", "--container-format", "bare")
	wantContains(t, "glance image-create --disk-format foo", out, "disk_format", "foo")

	out = glance(t, u.admin, "image-create", "--name", "empty", "--disk-format", "raw", "--container-format", "bare")
	id := glanceField(out, "id")
	if glanceField(out, "status") != "queued" || id == "" {
		t.Fatalf("glance image-create without data:\n%s", out)
	}
	for _, field := range []string{"disk_format", "container_format"} {
		out = openstackFails(t, u.admin, "image", "set", "--property", field+"=foo", id)
		wantContains(t, "image set --property "+field+"=foo", out, "400", field, "foo")
	}

	// Saving an image without data: the server answers 204 as Glance does; the openstack CLI
	// then writes an empty file, glanceclient says there is no data.
	saved := filepath.Join(t.TempDir(), "queued.img")
	mustCLI(t, u.admin, "image", "save", "--file", saved, id)
	if st, err := os.Stat(saved); err != nil || st.Size() != 0 {
		t.Errorf("image save of a queued image: want an empty file, got %v %v", st, err)
	}
	wantContains(t, "glance image-download of a queued image",
		glanceFails(t, u.admin, "image-download", "--file", saved+".g", id), "no data")

	// Content that does not match the declared format, and malicious qcow2 images
	// (CVE-2024-32498): the openstack CLI shows the server's reason (and deletes the image it
	// created); uploads to an existing image leave it queued, with no data.
	out = glance(t, u.admin, "image-create", "--name", "evil", "--disk-format", "qcow2", "--container-format", "bare")
	evilID := glanceField(out, "id")
	for _, bad := range []struct{ file, format, queued, want string }{
		{f.qcow2, "raw", id, "disk_format"}, {f.backing, "qcow2", evilID, "backing file"}, {f.dataFile, "qcow2", evilID, "data file"},
	} {
		out = openstackFails(t, u.admin, "image", "create", "refused", "--file", bad.file, "--disk-format", bad.format)
		wantContains(t, fmt.Sprintf("image create --disk-format %s --file %s", bad.format, filepath.Base(bad.file)), out, "400", bad.want)
		glanceFails(t, u.admin, "image-upload", "--file", bad.file, bad.queued)
	}
	wantNoData(t, u.admin, id)
	wantNoData(t, u.admin, evilID)
	mustCLI(t, u.admin, "image", "delete", evilID)

	// The right file is then accepted; a second upload to the active image is a conflict and
	// changes nothing; an upload to a deleted image is refused.
	glance(t, u.admin, "image-upload", "--file", f.raw, id)
	out = glanceFails(t, u.admin, "image-upload", "--file", f.qcow2, id)
	wantContains(t, "second upload (glance image-upload)", out, "409")
	d := fileDigests(t, f.raw)
	if img := showImage(t, u.admin, id); img["status"] != "active" || img["checksum"] != d.md5 || num(img["size"]) != d.size {
		t.Errorf("after a good upload and a refused second one: %v", img)
	}
	mustCLI(t, u.admin, "image", "delete", id)
	glanceFails(t, u.admin, "image-upload", "--file", f.raw, id)
}

// wantNoData checks that an image is queued with no data recorded.
func wantNoData(t *testing.T, env map[string]string, id string) {
	t.Helper()
	img := showImage(t, env, id)
	if img["status"] != "queued" || img["size"] != nil || img["checksum"] != nil || imageAttr(img, "os_hash_value") != nil {
		t.Errorf("image %s after refused uploads: want queued with no size or checksum, got %v", id, img)
	}
}
