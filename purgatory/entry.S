/*
 * swift-kexec purgatory: the parts that cannot be Swift.
 *
 * Entered in 64-bit long mode with interrupts off, identity-mapped page tables and an
 * unknown GDT (possibly unmapped, e.g. after Xen's hand-off). Until our own GDT is
 * loaded nothing here touches a segment register, and no instruction used can fault
 * on a CPU without SSE enabled. Every memory reference is RIP-relative, so the blob
 * runs at whatever address the loader puts it.
 *
 * GNU as, AT&T syntax.
 */

	.set	BOOT_CS, 0x10		/* Linux 64-bit boot protocol: __BOOT_CS */
	.set	BOOT_DS, 0x18		/* __BOOT_DS */
	.set	CODE32, 0x08		/* flat 32-bit code, for the multiboot hand-over */
	.set	FLAG_PROTECTED32, 2	/* parameter flags bit 1: leave in 32-bit protected mode */
	.set	MSR_EFER, 0xc0000080
	.set	EFER_LME, 0x100
	.set	CR0_PG, 0x80000000
	.set	CR4_PAE, 0x20
	.set	STACK_SIZE, 8192

	/* Parameter block offsets (see purgatory/README.md). */
	.set	P_RAX, 0
	.set	P_RBX, 8
	.set	P_RCX, 16
	.set	P_RDX, 24
	.set	P_RSI, 32
	.set	P_RDI, 40
	.set	P_RBP, 48
	.set	P_RSP, 56
	.set	P_RIP, 64
	.set	P_FLAGS, 72
	.set	P_SIZE, 896

	.section .text.purgatory_start, "ax", @progbits
	.code64
	.globl	purgatory_start
	.type	purgatory_start, @function
purgatory_start:
	cli
	cld
	leaq	stack_top(%rip), %rsp

	/* Our own GDT: fill in its run-time address, then load it. */
	leaq	gdt(%rip), %rax
	movq	%rax, gdt_desc+2(%rip)
	lgdt	gdt_desc(%rip)

	/* Reload CS with a far return, then the data segment registers. */
	pushq	$BOOT_CS
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:	movl	$BOOT_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	/* Checks and backup copy (Swift). Returns only if we may jump. */
	leaq	purgatory_params(%rip), %rdi
	call	purgatory_main

	/* Load the registers for the next stage and jump. */
	leaq	purgatory_params(%rip), %rax
	leaq	stack_top(%rip), %rsp
	testl	$FLAG_PROTECTED32, P_FLAGS(%rax)
	jnz	leave_long_mode
	movq	P_RSP(%rax), %rcx
	testq	%rcx, %rcx
	jz	2f
	movq	%rcx, %rsp
2:	movq	P_RBX(%rax), %rbx
	movq	P_RCX(%rax), %rcx
	movq	P_RDX(%rax), %rdx
	movq	P_RSI(%rax), %rsi
	movq	P_RDI(%rax), %rdi
	movq	P_RBP(%rax), %rbp
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	movq	P_RAX(%rax), %rax
	jmpq	*purgatory_params+P_RIP(%rip)
	.size	purgatory_start, . - purgatory_start

/*
 * Multiboot hand-over: 32-bit protected mode, paging off, flat segments, the registers'
 * low halves from the parameter block. Purgatory and its stack lie below 4 GiB (the
 * loader places them there), so the identity-mapped code keeps running once paging is
 * off. %rax holds the parameter block's address.
 */
leave_long_mode:
	movq	%rax, %rbp
	pushq	$CODE32
	leaq	3f(%rip), %rcx
	pushq	%rcx
	lretq
	.code32
3:	movl	$BOOT_DS, %ecx
	movl	%ecx, %ds
	movl	%ecx, %es
	movl	%ecx, %ss
	movl	%ecx, %fs
	movl	%ecx, %gs
	movl	%cr0, %ecx		/* paging off: leaves long mode (EFER.LMA clears) */
	andl	$~CR0_PG, %ecx
	movl	%ecx, %cr0
	movl	$MSR_EFER, %ecx
	rdmsr
	andl	$~EFER_LME, %eax
	wrmsr
	movl	%cr4, %ecx
	andl	$~CR4_PAE, %ecx
	movl	%ecx, %cr4
	xorl	%ecx, %ecx
	movl	%ecx, %cr3
	pushl	P_RIP(%ebp)
	movl	P_RAX(%ebp), %eax
	movl	P_RBX(%ebp), %ebx
	movl	P_RCX(%ebp), %ecx
	movl	P_RDX(%ebp), %edx
	movl	P_RSI(%ebp), %esi
	movl	P_RDI(%ebp), %edi
	movl	P_RBP(%ebp), %ebp
	ret
	.code64

	.text

/* void purgatory_halt(void) __attribute__((noreturn)) */
	.globl	purgatory_halt
	.type	purgatory_halt, @function
purgatory_halt:
	cli
1:	hlt
	jmp	1b
	.size	purgatory_halt, . - purgatory_halt

/* void purgatory_outb(uint16_t port, uint8_t value) */
	.globl	purgatory_outb
	.type	purgatory_outb, @function
purgatory_outb:
	movl	%edi, %edx
	movl	%esi, %eax
	outb	%al, %dx
	ret
	.size	purgatory_outb, . - purgatory_outb

/* uint8_t purgatory_inb(uint16_t port) */
	.globl	purgatory_inb
	.type	purgatory_inb, @function
purgatory_inb:
	movl	%edi, %edx
	xorl	%eax, %eax
	inb	%dx, %al
	ret
	.size	purgatory_inb, . - purgatory_inb

/* int purgatory_has_bmi2(void): 1 if CPUID leaf 7 reports BMI1 and BMI2 (EBX bits 3, 8). */
	.globl	purgatory_has_bmi2
	.type	purgatory_has_bmi2, @function
purgatory_has_bmi2:
	pushq	%rbx
	xorl	%eax, %eax
	cpuid
	cmpl	$7, %eax
	jb	1f
	movl	$7, %eax
	xorl	%ecx, %ecx
	cpuid
	andl	$0x108, %ebx
	cmpl	$0x108, %ebx
	jne	1f
	movl	$1, %eax
	popq	%rbx
	ret
1:	xorl	%eax, %eax
	popq	%rbx
	ret
	.size	purgatory_has_bmi2, . - purgatory_has_bmi2

/* void *purgatory_params_address(void) */
	.globl	purgatory_params_address
	.type	purgatory_params_address, @function
purgatory_params_address:
	leaq	purgatory_params(%rip), %rax
	ret
	.size	purgatory_params_address, . - purgatory_params_address

/* void *purgatory_phys(uint64_t address): identity, opaque to the optimiser. */
	.globl	purgatory_phys
	.type	purgatory_phys, @function
purgatory_phys:
	movq	%rdi, %rax
	ret
	.size	purgatory_phys, . - purgatory_phys

/* void *memcpy(void *dst, const void *src, size_t n) */
	.globl	memcpy
	.type	memcpy, @function
memcpy:
	movq	%rdi, %rax
	movq	%rdx, %rcx
	rep movsb
	ret
	.size	memcpy, . - memcpy

/* void *memmove(void *dst, const void *src, size_t n) */
	.globl	memmove
	.type	memmove, @function
memmove:
	movq	%rdi, %rax
	movq	%rdx, %rcx
	cmpq	%rsi, %rdi
	jbe	1f			/* dst <= src: forward */
	leaq	(%rsi,%rdx), %r8
	cmpq	%r8, %rdi
	jae	1f			/* dst >= src + n: forward */
	leaq	-1(%rdi,%rdx), %rdi	/* overlapping, dst above src: backward */
	leaq	-1(%rsi,%rdx), %rsi
	std
	rep movsb
	cld
	ret
1:	rep movsb
	ret
	.size	memmove, . - memmove

/* void *memset(void *dst, int c, size_t n) */
	.globl	memset
	.type	memset, @function
memset:
	movq	%rdi, %r8
	movl	%esi, %eax
	movq	%rdx, %rcx
	rep stosb
	movq	%r8, %rax
	ret
	.size	memset, . - memset

	.data
	.balign	16
/* Flat 32-bit code at 0x08, flat 64-bit code at 0x10, flat data at 0x18; accessed bits
   preset so the CPU never writes to the table. */
gdt:
	.quad	0			/* 0x00 null */
	.quad	0x00cf9b000000ffff	/* 0x08 code: P, DPL0, exec/read, D (32-bit), G */
	.quad	0x00af9b000000ffff	/* 0x10 code: P, DPL0, exec/read, L, G */
	.quad	0x00cf93000000ffff	/* 0x18 data: P, DPL0, read/write, D/B, G */
gdt_end:
	.balign	16
	.word	0, 0, 0
gdt_desc:
	.word	gdt_end - gdt - 1	/* limit */
	.quad	0			/* base, filled in at run time */

/* The parameter block the loader patches (896 bytes, layout in README.md). */
	.balign	8
	.globl	purgatory_params
	.type	purgatory_params, @object
purgatory_params:
	.fill	P_SIZE, 1, 0
	.size	purgatory_params, P_SIZE

	.bss
	.balign	16
stack:
	.skip	STACK_SIZE
stack_top:

	.section .note.GNU-stack, "", @progbits
