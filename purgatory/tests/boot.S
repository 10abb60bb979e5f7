/* Minimal multiboot (v1) test kernel for purgatory/tests/run.sh: 32-bit entry, long mode
   with 2 MiB identity pages for 4 GiB, then test_main() in kernel.c. Not shipped. */
	.set	MB_MAGIC, 0x1BADB002
	.set	MB_FLAGS, 0x00000003
	.section .multiboot, "a"
	.balign	4
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.section .text.boot32, "ax"
	.code32
	.globl	_start
_start:
	cli
	movl	%ebx, mbi_ptr
	movl	$boot_stack_top, %esp
	/* Page tables: PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3; 2 MiB pages for 4 GiB. */
	movl	$pml4, %edi
	movl	$(6 * 4096 / 4), %ecx
	xorl	%eax, %eax
	rep stosl
	movl	$pdpt, %eax
	orl	$3, %eax
	movl	%eax, pml4
	movl	$pd, %eax
	orl	$3, %eax
	movl	%eax, pdpt
	addl	$4096, %eax
	movl	%eax, pdpt + 8
	addl	$4096, %eax
	movl	%eax, pdpt + 16
	addl	$4096, %eax
	movl	%eax, pdpt + 24
	movl	$pd, %edi
	xorl	%ecx, %ecx
1:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$0x83, %eax
	movl	%eax, (%edi,%ecx,8)
	movl	%ecx, %eax
	shrl	$11, %eax
	movl	%eax, 4(%edi,%ecx,8)
	incl	%ecx
	cmpl	$2048, %ecx
	jb	1b
	movl	%cr4, %eax
	orl	$0x20, %eax		/* PAE only: no OSFXSR, like Xen's hand-off */
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$0xC0000080, %ecx
	rdmsr
	orl	$0x100, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000001, %eax
	movl	%eax, %cr0
	lgdt	gdt32_desc
	ljmp	$0x08, $long_entry

	.code64
long_entry:
	movl	$0x20, %eax		/* deliberately not 0x18 */
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movabsq	$boot_stack_top, %rsp
	movl	mbi_ptr, %edi
	call	test_main
2:	hlt
	jmp	2b

/* Where purgatory jumps to. Save registers, then C checks them. */
	.globl	landing
landing:
	movq	%rax, regs_seen + 0
	movq	%rbx, regs_seen + 8
	movq	%rcx, regs_seen + 16
	movq	%rdx, regs_seen + 24
	movq	%rsi, regs_seen + 32
	movq	%rdi, regs_seen + 40
	movq	%rbp, regs_seen + 48
	movq	%rsp, regs_seen + 56
	movw	%cs, %ax
	movw	%ax, regs_seen + 64
	movw	%ds, %ax
	movw	%ax, regs_seen + 66
	movw	%ss, %ax
	movw	%ax, regs_seen + 68
	movw	%es, %ax
	movw	%ax, regs_seen + 70
	movabsq	$boot_stack_top, %rsp
	call	landed
3:	hlt
	jmp	3b

	.globl	read_tsc
read_tsc:
	rdtsc
	shlq	$32, %rdx
	orq	%rdx, %rax
	ret
	.globl	outb
outb:
	movl	%edi, %edx
	movl	%esi, %eax
	outb	%al, %dx
	ret
	.globl	inb
inb:
	movl	%edi, %edx
	xorl	%eax, %eax
	inb	%dx, %al
	ret
/* jump_to(entry): wreck our GDT in memory first (segments stay cached), then jump. */
	.globl	jump_to
jump_to:
	movq	$0xdeadbeefdeadbeef, %rax
	movq	%rax, gdt32 + 8
	movq	%rax, gdt32 + 16
	movq	%rax, gdt32 + 24
	movq	%rax, gdt32 + 32
	xorl	%eax, %eax
	jmpq	*%rdi

	.data
	.balign	8
gdt32:
	.quad	0
	.quad	0x00af9b000000ffff	/* 0x08 64-bit code */
	.quad	0x00cf9b000000ffff	/* 0x10 32-bit code (wrong on purpose for 64-bit) */
	.quad	0
	.quad	0x00cf93000000ffff	/* 0x20 data */
gdt32_end:
gdt32_desc:
	.word	gdt32_end - gdt32 - 1
	.long	gdt32
mbi_ptr:
	.long	0
	.globl	regs_seen
regs_seen:
	.fill	9, 8, 0

	.section .purgblob, "a"
	.balign	4096
	.globl	blob_start, blob_end
blob_start:
	.incbin	"purgatory.bin"
blob_end:

	.bss
	.balign	4096
pml4:	.skip	4096
pdpt:	.skip	4096
pd:	.skip	4 * 4096
	.balign	16
	.skip	65536
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
