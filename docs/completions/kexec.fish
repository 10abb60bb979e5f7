function __kexec_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __kexec_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __kexec_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __kexec_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __kexec_parse_tokens -S
    set -l unparsed_tokens (__kexec_tokens -pc)
    switch $unparsed_tokens[1]
    case 'kexec'
        __kexec_parse_subcommand 1 'l/load' 'p/load-panic' 'u/unload' 'e/exec' 'f/force' 'x/no-ifdown' 'y/no-sync' 'i/no-checks' 't/type=' 's/kexec-file-syscall' 'c/kexec-syscall' 'a/kexec-syscall-auto' 'S/status' 'd/debug' 'v/version' 'dry-run' 'json' 'append=+' 'initrd=+' 'print-ckr-size' 'reuse-cmdline' 'mem-min=' 'mem-max=' 'args-linux' 'args-none' 'noefi' 'module=+' 'console-serial' 'serial=' 'hotplug' 'no-hotplug' 'elf32-core-headers' 'reuse-video-type' 'no-cma' 'force-dtb' 'reset-vga' 'entry=' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __kexec_parse_subcommand -r 1 
        end
    end
end

function __kexec_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __kexec_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __kexec_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __kexec_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__kexec_tokens -p)
    if test -z "$(__kexec_tokens -t)"
        set -l index (count (__kexec_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'kexec' -f
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" l load' -s 'l' -l 'load' -d 'Load KERNEL for a later kexec -e.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" load-panic p' -s 'p' -l 'load-panic' -d 'Load a capture kernel into the crash reservation (kdump); with -u: unload it.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" u unload' -s 'u' -l 'unload' -d 'Unload the loaded image.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" e exec' -s 'e' -l 'exec' -d 'Execute the loaded image now.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" f force' -s 'f' -l 'force' -d 'Load KERNEL and execute it at once, without shutdown(8).'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" no-ifdown x' -s 'x' -l 'no-ifdown' -d 'Do not take network interfaces down before executing.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" no-sync y' -s 'y' -l 'no-sync' -d 'Do not sync file systems before executing.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" i no-checks' -s 'i' -l 'no-checks' -d 'Skip purgatory\'s SHA-256 verification.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" t type' -s 't' -l 'type' -d 'Force the image type (uki, bzImage64, elf-x86_64, multiboot-x86, multiboot2-x86).' -rfka 'uki bzImage64 elf-x86_64 multiboot-x86 multiboot2-x86'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" kexec-file-syscall s' -s 's' -l 'kexec-file-syscall' -d 'Use kexec_file_load only.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" c kexec-syscall' -s 'c' -l 'kexec-syscall' -d 'Use kexec_load only (our placement and purgatory).'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" a kexec-syscall-auto' -s 'a' -l 'kexec-syscall-auto' -d 'kexec_file_load, then kexec_load if the kernel cannot use it for this image (default).'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" S status' -s 'S' -l 'status' -d 'Exit 1 if an image is loaded, 0 if not, 255 if that cannot be read (the crash image unless -l).'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" d debug' -s 'd' -l 'debug' -d 'Print every decision: segments, addresses, entry, digests.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" v version' -s 'v' -l 'version' -d 'Print the version.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" dry-run' -l 'dry-run' -d 'Do all the work of a load, print the plan, and stop before any syscall.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" json' -l 'json' -d 'With --dry-run or --status: print JSON.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec"' -l 'append' -l 'command-line' -d 'The new kernel\'s command line.' -rfka ''
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec"' -l 'initrd' -l 'ramdisk' -d 'Initial ramdisk.' -rF
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" print-ckr-size' -l 'print-ckr-size' -d 'Print the size of the crash kernel reservation.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" reuse-cmdline' -l 'reuse-cmdline' -d 'Start from /proc/cmdline (without BOOT_IMAGE=, and for -p without crashkernel=).'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" mem-min' -l 'mem-min' -d 'Lowest physical address for segments.' -rfka ''
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" mem-max' -l 'mem-max' -d 'Highest physical address for segments.' -rfka ''
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" args-linux' -l 'args-linux' -d 'ELF kernels: pass Linux boot_params (command line, initrd, memory map); the default.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" args-none' -l 'args-none' -d 'ELF kernels: jump to the entry point with no arguments.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" noefi' -l 'noefi' -d 'kexec_load: do not hand EFI (system table, runtime regions) to the new kernel; it keeps ACPI.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec"' -l 'module' -d 'Multiboot: load FILE as a module with the string "FILE ARGS" (repeatable, in order).' -rF
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" console-serial' -l 'console-serial' -d 'Purgatory prints its progress on the serial port (see --serial).'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" serial' -l 'serial' -d 'Purgatory\'s serial port: ttyS0 (default), ttyS1, ttyS2, ttyS3 or an I/O port number.' -rfka 'ttyS0 ttyS1 ttyS2 ttyS3'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" hotplug' -l 'hotplug' -d 'Accepted (the default): -p images follow CPU and memory hotplug where the kernel can update them (Linux 6.6+: kexec_load with KEXEC_UPDATE_ELFCOREHDR, or kexec_file_load).'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" no-hotplug' -l 'no-hotplug' -d '-p through kexec_load: keep the ELF core header as loaded and checked by purgatory; the kernel does not update it on hotplug.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" elf32-core-headers elf64-core-headers' -l 'elf32-core-headers' -l 'elf64-core-headers' -d 'Accepted and ignored, as kexec-tools does on x86_64 (the core header is ELF64).'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" reuse-video-type' -l 'reuse-video-type' -d 'Accepted: the running kernel\'s screen_info is always passed (kexec_load).'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" no-cma' -l 'no-cma' -d 'kexec_file_load: the kernel must not place the image in CMA memory (KEXEC_FILE_NO_CMA, Linux 6.17+; asked again without it on older kernels). kexec_load never uses CMA.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" force-dtb' -l 'force-dtb' -d 'Accepted and ignored (arm64 only).'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" args-elf entry-32bit exec-live-update load-jump-back-helper load-live-update load-preserve-context pass-memmap-cmdline real-mode reset-vga reuseinitrd' -l 'reset-vga' -l 'pass-memmap-cmdline' -l 'reuseinitrd' -l 'real-mode' -l 'entry-32bit' -l 'args-elf' -l 'load-preserve-context' -l 'load-jump-back-helper' -l 'load-live-update' -l 'exec-live-update' -d 'kexec-tools options that swift-kexec refuses, each with one line saying why.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" dtb entry' -l 'entry' -l 'dtb' -d 'Refused with one line saying why (kexec-tools: entry point, x86 device tree).' -rfka ''
complete -c 'kexec' -n '__kexec_should_offer_completions_for_positional "kexec" -eq 1' -F
complete -c 'kexec' -n '__kexec_should_offer_completions_for_flags_or_options "kexec" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kexec' -n '__kexec_should_offer_completions_for_positional "kexec" -eq 2' -fa 'help' -d 'Show subcommand help information.'
