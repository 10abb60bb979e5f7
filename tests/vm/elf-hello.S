/*
 * A bare ELF64 executable for the elf-args-none scenario (not shipped): kexec
 * --args-none jumps here in 64-bit mode with nothing in the registers. It prints
 * "ELF-ARGS-NONE-UP rsi=0x<rsi>" on COM1 (rsi must be 0: no boot_params) and halts.
 * mkinitramfs.sh links it at 16 MiB (-Ttext=0x1000000) into /boot/hello.elf.
 * GNU as, AT&T syntax.
 */
	.set	COM1, 0x3f8
	.text
	.globl	_start
_start:
	cli
	movq	%rsi, %r12
	leaq	message(%rip), %rbx
1:	movb	(%rbx), %al
	testb	%al, %al
	jz	2f
	call	putc
	incq	%rbx
	jmp	1b
2:	movl	$16, %ecx		/* rsi as 16 hex digits */
3:	rolq	$4, %r12
	movl	%r12d, %eax
	andl	$15, %eax
	leaq	digits(%rip), %rdx
	movb	(%rdx,%rax), %al
	pushq	%rcx
	call	putc
	popq	%rcx
	decl	%ecx
	jnz	3b
	movb	$'\r', %al
	call	putc
	movb	$'\n', %al
	call	putc
4:	hlt
	jmp	4b

/* putc: %al to COM1 once the transmitter is empty (LSR bit 5). Clobbers %dx, %ah. */
putc:
	movb	%al, %ah
	movw	$COM1 + 5, %dx
5:	inb	%dx, %al
	testb	$0x20, %al
	jz	5b
	movw	$COM1, %dx
	movb	%ah, %al
	outb	%al, %dx
	ret

	.section .rodata
message:
	.asciz	"ELF-ARGS-NONE-UP rsi=0x"
digits:
	.ascii	"0123456789abcdef"
	.section .note.GNU-stack, "", @progbits
