# multiboot-xen through Xen's multiboot2 header (-t multiboot2-x86): a native Linux loads
# Debian's Xen 4.17 with dom0's kernel and initrd as modules; the relocatable tag moves Xen
# high (preference 2); the information carries the load base, basic memory, memory map, ACPI
# RSDP (read through /dev/mem), command line and modules. Xen boots dom0, whose /init (the
# second initramfs) prints its command line and marker.
MB_TYPE=multiboot2-x86
. /scenarios/multiboot-xen.sh
