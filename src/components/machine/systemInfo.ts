// What machine.system_info reports about the host, read from /proc, /sys and /etc/os-release.
// Every reader tolerates a missing file (containers, other systems): the field is left empty.
import { readFile, readdir, readlink } from 'node:fs/promises';
import { arch, cpus, networkInterfaces, totalmem } from 'node:os';
import { MOONSTATE_VERSION } from '../../version.js';

const read = (path: string) => readFile(path, 'utf8').catch(() => '');

function cpuinfoField(text: string, name: string): string {
  const m = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'mi').exec(text);
  return m ? m[1]!.trim() : '';
}

async function cpuInfo() {
  const text = await read('/proc/cpuinfo');
  const mem = /^MemTotal:\s+(\d+)\s+kB/m.exec(await read('/proc/meminfo'));
  return {
    cpu_count: cpus().length || null,
    bits: /64/.test(arch()) ? '64bit' : '32bit',
    processor: arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : arch() === 'arm' ? 'armv7l' : arch(),
    cpu_desc: cpuinfoField(text, 'model name') || cpuinfoField(text, 'Processor'),
    serial_number: cpuinfoField(text, 'Serial'),
    hardware_desc: cpuinfoField(text, 'Hardware'),
    model: cpuinfoField(text, 'Model') || (await read('/proc/device-tree/model')).replace(/\0/g, '').trim(),
    total_memory: mem ? Number(mem[1]) : Math.round(totalmem() / 1024),
    memory_units: 'kB',
  };
}

async function distribution() {
  const text = await read('/etc/os-release');
  const release: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) release[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  const version = release.VERSION_ID ?? '';
  const [major = '', minor = '', build = ''] = version.split('.');
  return {
    name: release.PRETTY_NAME ?? '',
    id: release.ID ?? '',
    version,
    version_parts: { major, minor, build_number: build },
    like: release.ID_LIKE ?? '',
    codename: release.VERSION_CODENAME ?? '',
    release_info: release,
  };
}

async function virtualization() {
  const cgroup = await read('/proc/1/cgroup');
  const env = await read('/proc/1/environ');
  if (/docker|lxc|kubepods|containerd/.test(cgroup) || /container=/.test(env)) {
    return { virt_type: 'container', virt_identifier: /lxc/.test(cgroup) ? 'lxc' : 'docker' };
  }
  const product = (await read('/sys/class/dmi/id/product_name')).trim();
  const vendor = (await read('/sys/class/dmi/id/sys_vendor')).trim();
  const vm = /KVM|QEMU|VirtualBox|VMware|Hyper-V|Virtual Machine|Bochs|Xen/i.exec(`${product} ${vendor}`);
  return vm ? { virt_type: 'vm', virt_identifier: vm[0].toLowerCase() } : { virt_type: 'none', virt_identifier: 'none' };
}

function network() {
  const out: Record<string, { mac_address: string; ip_addresses: Array<{ family: string; address: string; is_link_local: boolean }> }> = {};
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (!addrs || name === 'lo') continue;
    out[name] = {
      mac_address: addrs[0]?.mac ?? '',
      ip_addresses: addrs.map((a) => ({
        family: a.family === 'IPv4' ? 'ipv4' : 'ipv6',
        address: a.address,
        is_link_local: a.family === 'IPv6' ? a.address.startsWith('fe80') : a.address.startsWith('169.254.'),
      })),
    };
  }
  return out;
}

async function canbus() {
  const out: Record<string, { tx_queue_len: number; bitrate: number | null; driver: string }> = {};
  const names = await readdir('/sys/class/net').catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith('can'))) {
    const driver = await readlink(`/sys/class/net/${name}/device/driver`).catch(() => '');
    out[name] = {
      tx_queue_len: Number(await read(`/sys/class/net/${name}/tx_queue_len`)) || 0,
      bitrate: null,
      driver: driver.split('/').pop() ?? '',
    };
  }
  return out;
}

export async function readSystemInfo() {
  const [cpu_info, dist, virt, can] = await Promise.all([cpuInfo(), distribution(), virtualization(), canbus()]);
  const [maj = 0, min = 0, pat = 0] = process.versions.node.split('.').map(Number);
  return {
    provider: 'none',
    cpu_info,
    sd_info: {},
    distribution: dist,
    available_services: [] as string[],
    instance_ids: { moonraker: 'moonstate', klipper: 'klipper' },
    service_state: {},
    virtualization: virt,
    // Moonraker reports its Python here; ours is the Node.js runtime, named as such.
    python: { version: [maj, min, pat, 'final', 0], version_string: `Node.js ${process.version} (moonstate ${MOONSTATE_VERSION})` },
    network: network(),
    canbus: can,
  };
}
